r"""Refits the out-of-distribution gate of a trained model, then evaluates its report again.

Usage:
    python -m model.gate --weights model/weights/resnet50.keras
    python -m model.gate --weights model/weights/baseline.keras --data DIR

It runs the shared post-training step (``model.refit``) with the gate: on the
validation split the model was trained with it fits the validation numbers,
the temperature and the threshold (the same values while the weights are
unchanged) and the gate, then evaluates every split of the report again, so
that its "gate flags" figures are those of the new gate.

The command lives here, apart from the gate's arithmetic in
``model/gate/__init__.py``, because ``model.refit`` imports that arithmetic.
"""

import argparse
import logging
from pathlib import Path

from model import config
from model.cards import ModelCard, card_path, report_path
from model.refit import refit


def refit_gate(weights: Path, data_dir: Path) -> ModelCard:
    """Fits the gate of an existing model again, updates its card and evaluates it again.

    Never touches the ``.keras`` file or its ``keras_sha256``.

    Args:
        weights: Path to a ``.keras`` file with a model card beside it.
        data_dir: The Kaggle-layout dataset the model was trained on.

    Returns:
        The updated model card.
    """
    card = refit(weights, data_dir, refit_gate=True)
    entry = card.ood_gate
    print(
        f"gate threshold {entry['threshold']:.3f}: flags {entry['validation_flagged']:.1%} "
        "of validation"
    )
    return card


def main(argv: list[str] | None = None) -> None:
    """Command line: fit the out-of-distribution gate of one model, then re-evaluate it."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m model.gate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--weights", type=Path, required=True, help="a .keras file with its card")
    parser.add_argument(
        "--data", type=Path, default=config.default_data_dir(), help="the Kaggle folder"
    )
    args = parser.parse_args(argv)
    if not card_path(args.weights).is_file():
        parser.error(f"{args.weights} has no model card; train it with `python -m model.train`.")
    try:
        refit_gate(args.weights, args.data)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    print(f"wrote {card_path(args.weights)} and {report_path(args.weights)}")


if __name__ == "__main__":
    main()
