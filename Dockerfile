# Hugging Face Spaces (Docker SDK) and any container host.
# Build: docker build -t brain-mri .   Run: docker run -p 7860:7860 brain-mri
FROM python:3.11-slim

# Spaces runs containers as user 1000; so do we, everywhere.
RUN useradd --create-home --uid 1000 user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2
# WORKDIR would create the app directory as root: make it the app user's first.
RUN mkdir -p /home/user/app && chown user:user /home/user/app
WORKDIR /home/user/app

COPY --chown=user requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=user app.py ./
COPY --chown=user pages ./pages
COPY --chown=user model ./model
COPY --chown=user assets ./assets
COPY --chown=user .streamlit ./.streamlit
USER user

EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/_stcore/health')"
# Spaces shows the app inside an iframe on huggingface.co, where browsers withhold
# Streamlit's XSRF cookie, so every upload would fail with "403" (streamlit#9397,
# huggingface_hub#1496). The container turns the check off; .streamlit/config.toml
# keeps it on for local runs and Community Cloud.
CMD ["streamlit", "run", "app.py", "--server.port=7860", "--server.address=0.0.0.0", \
     "--server.headless=true", "--server.enableXsrfProtection=false"]
