"""Domain code for the brain MRI classifier: data, models, training, evaluation.

Nothing in this package imports Streamlit; the app in ``app.py`` and ``pages/``
only draws what these modules compute.
"""
