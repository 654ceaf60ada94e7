r"""Temperature scaling: probabilities whose confidence matches their accuracy.

Usage:
    python -m model.calibrate --weights model/weights/resnet50.keras
    python -m model.calibrate --weights model/weights/baseline.keras --data DIR

The temperature is fitted on the validation split the model was trained with
(deduplicated, see ``model.splits``) by minimising the Brier score, and stored
in the model card (``"temperature"``); 1.0 leaves the model's softmax unchanged. The
low-confidence threshold is then chosen again on the calibrated validation
probabilities, and every split of the report is evaluated again, so that the
card, the report and the app all use the same calibrated numbers. The fitting
lives in ``model.calibration``; the whole step is ``model.refit``.
"""

import argparse
import logging
from pathlib import Path

from model import config
from model.cards import card_path, report_path
from model.refit import refit


def calibrate(weights: Path, data_dir: Path) -> dict:
    """Calibrates a shipped model, updates its card and evaluates it again.

    Never touches the ``.keras`` file or its ``keras_sha256``.

    Args:
        weights: Path to a ``.keras`` file with a model card beside it.
        data_dir: The Kaggle-layout dataset the model was trained on.

    Returns:
        The updated model card.
    """
    return refit(weights, data_dir)


def main(argv: list[str] | None = None) -> None:
    """Command line: fit the temperature and threshold of one model, then re-evaluate it."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, required=True, help="the .keras file to calibrate")
    parser.add_argument(
        "--data",
        type=Path,
        default=config.default_data_dir(),
        help="the dataset the model was trained on (default: $BRAIN_MRI_DATA or the shared copy)",
    )
    args = parser.parse_args(argv)
    if not args.weights.is_file():
        parser.error(f"{args.weights} does not exist; pass a .keras file from model/weights/.")
    if not card_path(args.weights).is_file():
        parser.error(
            f"{args.weights} has no model card ({card_path(args.weights).name}); "
            "train it with `python -m model.train`."
        )
    try:
        calibrate(args.weights, args.data)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {card_path(args.weights)} and {report_path(args.weights)}")


if __name__ == "__main__":
    main()
