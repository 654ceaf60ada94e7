import numpy as np
import pytest

from model.boxes import Box, box_masks, read_boxes


@pytest.mark.parametrize("size", [8, 32, 100, 224])
def test_a_box_maps_onto_any_image_size(size):
    box = Box(x_center=0.25, y_center=0.75, width=0.5, height=0.5)
    mask = box.mask(size, size)
    assert mask[: size // 2].sum() == 0  # the box is in the lower half
    assert mask[size // 2 :, : size // 2].all()  # and fills the lower-left quarter
    assert mask.sum() == (size // 2) ** 2


def test_growing_a_box_adds_the_share_of_the_side_on_every_side():
    box = Box(0.5, 0.5, 0.2, 0.2)
    top, left, bottom, right = box.pixels(100, 100, grow=0.07)
    assert (top, left, bottom, right) == (33, 33, 67, 67)
    assert box.pixels(100, 100, grow=0.5) == (0, 0, 100, 100)  # clipped to the image


def test_non_square_images_use_their_own_width_and_height():
    top, left, bottom, right = Box(0.5, 0.5, 0.5, 0.5).pixels(height=40, width=80)
    assert (top, bottom, left, right) == (10, 30, 20, 60)


def test_read_boxes_keeps_one_split(tiny_boxes):
    training = read_boxes(tiny_boxes, "Training")
    assert "glioma/g0.png" in training and "notumor/g0.png" not in training
    assert all(not key.startswith("Training/") for key in training)
    assert len(read_boxes(tiny_boxes)) == len(training) + len(read_boxes(tiny_boxes, "Testing"))


def test_masks_are_empty_for_images_without_a_box(tiny_boxes):
    boxes = read_boxes(tiny_boxes, "Training")
    masks = box_masks(("glioma/g0.png", "notumor/g0.png", ""), boxes, 16)
    assert masks.shape == (3, 16, 16, 1)
    assert masks[0].sum() > 0 and masks[1].sum() == 0 and masks[2].sum() == 0


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("file,class,x_center,y_center,width\nx,glioma,0.5,0.5,0.1\n", "height"),
        ("file,class,x_center,y_center,width,height\nx,glioma,1.5,0.5,0.1,0.1\n", "0-1"),
    ],
)
def test_a_bad_box_file_is_refused(tmp_path, text, error):
    path = tmp_path / "boxes.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=error):
        read_boxes(path)


def test_a_missing_box_file_says_how_to_pass_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="--boxes"):
        read_boxes(tmp_path / "none.csv")


def test_box_mask_dtype():
    assert Box(0.5, 0.5, 0.1, 0.1).mask(10, 10).dtype == np.bool_
