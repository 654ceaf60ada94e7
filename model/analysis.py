"""The app's one analysis path: uploaded bytes in, everything a page shows out.

Used by the upload page, the "Test on your scans" page and ``model.own_scans``,
so a scan gets the same decoding, preprocessing, gate and abstention wherever it
is analysed.
"""

from dataclasses import dataclass, field

import numpy as np

from model.decision import Decision, decide
from model.inference import Analysis, Classifier
from model.inputs import decode_upload
from model.ood import gate_reason, unreliable_reason
from model.overlay import fit_within
from model.preprocessing import model_frame

DISPLAY_MAX_SIDE = 768


@dataclass(frozen=True)
class ScanResult:
    """One analysed upload.

    Attributes:
        display: uint8 (H, W, 3): what the model saw (the whole image or its head
            crop), shrunk to at most ``DISPLAY_MAX_SIDE``, for the heatmap overlay.
        kind: The file type read from the content, e.g. ``JPEG`` or ``DICOM``.
        notes: What was done to read the file (frame chosen, window, rotation).
        tags: Harmless DICOM tags as plain text.
        unreliable: Why the image is unlike the training scans (colour, or the
            model's gate), or None.
        analysis: The model's probabilities, map and gate score.
    """

    display: np.ndarray
    kind: str
    analysis: Analysis
    unreliable: str | None = None
    notes: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def decision(self) -> Decision:
        """What the app states about the scan (``model.decision``): a class or expert review."""
        return decide(self.analysis.probabilities, self.analysis.confident, self.unreliable)


def analyse_bytes(
    classifier: Classifier, data: bytes, method: str, target: int | None = None
) -> ScanResult:
    """Decodes, classifies and explains uploaded bytes.

    Raises:
        model.inputs.InputError: For a file that cannot be used, with the reason.
    """
    decoded = decode_upload(data)
    analysis = classifier.analyse(decoded.rgb, method, target)
    return ScanResult(
        # The head square the classifier cropped, not found a second time.
        display=fit_within(
            model_frame(decoded.rgb, classifier.view, analysis.head_box), DISPLAY_MAX_SIDE
        ),
        kind=decoded.kind,
        analysis=analysis,
        # Colour first (plain to see), then the model's own gate.
        unreliable=unreliable_reason(decoded.rgb)
        or gate_reason(analysis.ood_score, classifier.gate_threshold),
        notes=decoded.notes,
        tags=decoded.tags,
    )
