"""Pictures in: the offline visual reading, its direction, its mix with a prompt, bad files."""

import numpy as np
import pytest
from media import make_image
from PIL import Image

from mmgen import GenerationRequest
from mmgen.encoders.image import MAX_PIXELS, load_image
from mmgen.encoders.text import load_descriptors
from mmgen.errors import InvalidRequest
from mmgen.pipeline import make_plan


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    return {
        "dark_cold": make_image(folder / "night.png", (14, 22, 60)),
        "bright_warm": make_image(folder / "beach.png", (250, 170, 60), pattern=True),
    }


def test_dark_cold_and_bright_warm_pictures_plan_in_opposite_directions(pictures):
    dark = make_plan(GenerationRequest(image_path=str(pictures["dark_cold"]), duration_s=20, seed=1))
    bright = make_plan(GenerationRequest(image_path=str(pictures["bright_warm"]), duration_s=20, seed=1))
    assert dark.key.mode == "minor" and bright.key.mode == "major"
    assert bright.energy > dark.energy + 0.15  # vivid and busy reads as more energy
    assert set(dark.moods) & {"sad", "dark", "mysterious", "calm"}
    assert set(bright.moods) & {"happy", "hopeful", "energetic", "triumphant", "uplifting", "playful"}
    assert "dark (brightness" in dark.reasons["input"] and "warm" in bright.reasons["input"]
    assert "the picture" in dark.explain() or "picture" in dark.reasons["style"]


def test_the_prompt_refines_the_picture(pictures):
    alone = make_plan(GenerationRequest(image_path=str(pictures["bright_warm"]), duration_s=20, seed=2))
    with_prompt = make_plan(
        GenerationRequest(image_path=str(pictures["bright_warm"]), prompt="jazz", duration_s=20, seed=2)
    )
    assert with_prompt.style == "jazz" and alone.style != "jazz"  # a style named outright wins
    assert with_prompt.key.mode == "major"  # the picture's brightness still sets the mode
    assert "and the description" in with_prompt.reasons["mood"]


@pytest.mark.parametrize("mode, save", [("CMYK", {}), ("RGBA", {}), ("P", {}), ("L", {}), ("LA", {})])
def test_colour_modes_are_converted(tmp_path, mode, save):
    suffix = ".jpg" if mode == "CMYK" else ".png"
    path = make_image(tmp_path / f"x{suffix}", (200, 120, 40), mode=mode, **save)
    rgb = load_image(path)
    assert rgb.shape[2] == 3 and 0 <= rgb.min() and rgb.max() <= 1
    if mode in ("CMYK", "RGBA", "P"):
        assert rgb[..., 0].mean() > rgb[..., 2].mean() + 0.2  # still orange


def test_16_bit_is_rescaled_not_clipped(tmp_path):
    grey = Image.fromarray(np.full((50, 60), 32768, dtype=np.uint16))
    grey.save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    assert load_image(tmp_path / "deep.png").mean() == pytest.approx(0.5, abs=0.01)


def test_exif_rotation_is_applied(tmp_path):
    image = Image.new("RGB", (300, 100), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    image.save(tmp_path / "phone.jpg", exif=exif)
    assert load_image(tmp_path / "phone.jpg").shape[:2] == (256, 85)  # tall, as shown


def test_animated_gif_uses_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (64, 64), c) for c in ((250, 20, 20), (20, 20, 250))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    rgb = load_image(tmp_path / "anim.gif")
    assert rgb[..., 0].mean() > 0.8 and rgb[..., 2].mean() < 0.2


def test_bad_images_get_plain_messages(tmp_path):
    good = make_image(tmp_path / "good.png", (100, 100, 100), size=(400, 300))
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:200])
    (tmp_path / "text.png").write_text("this is not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    Image.new("1", (20000, 20000)).save(tmp_path / "bomb.png")  # 400 megapixels, a few kB on disk
    cases = {
        "cut.png": "damaged or cut short",
        "text.png": "not an image",
        "empty.png": "is empty",
        "bomb.png": "megapixels|too large",
        "missing.png": "can't find",
    }
    for name, message in cases.items():
        with pytest.raises(InvalidRequest, match=message):
            make_plan(GenerationRequest(image_path=str(tmp_path / name), duration_s=10))
    assert MAX_PIXELS <= 89_478_485 // 2  # well below Pillow's own default cap


def test_picture_and_video_together_are_refused(pictures):
    with pytest.raises(InvalidRequest, match="not several"):
        make_plan(GenerationRequest(image_path=str(pictures["dark_cold"]), video_path=str(pictures["dark_cold"])))


def test_clip_reads_the_picture_when_its_weights_are_here(pictures, tmp_path, monkeypatch):
    """The CLIP path with a tiny random CLIPModel saved and loaded by the real from_pretrained code."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    from mmgen.decoders.musicgen.debug import build_tokenizer
    from mmgen.encoders.clip_image import ClipImageReader

    torch.manual_seed(0)
    config = CLIPConfig(
        text_config=dict(
            vocab_size=99,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
            max_position_embeddings=64,
            eos_token_id=1,
            pad_token_id=0,
            bos_token_id=0,
        ),
        vision_config=dict(
            image_size=32,
            patch_size=8,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
        ),
        projection_dim=16,
    )
    CLIPModel(config).eval().save_pretrained(tmp_path)
    build_tokenizer().save_pretrained(tmp_path)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    monkeypatch.setenv("MMGEN_CLIP_PATH", str(tmp_path))
    monkeypatch.setattr(ClipImageReader, "_shared", [])
    plan = make_plan(GenerationRequest(image_path=str(pictures["bright_warm"]), duration_s=20, seed=1))
    assert "CLIP matched it" in plan.reasons["input"]
    reader = ClipImageReader.shared()
    scores = reader.scores(load_image(pictures["bright_warm"]), load_descriptors())
    assert set(scores) == {"moods", "styles", "uses"} and len(scores["styles"]) == len(load_descriptors()["styles"])
    assert abs(sum(scores["moods"].values())) < 1e-6  # centred on the category's mean


def test_blip_caption_joins_the_reading(pictures, tmp_path, monkeypatch):
    """The optional captioner with a tiny random BLIP saved and loaded by the real code."""
    import torch
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessor

    from mmgen.decoders.musicgen.captions import caption_for
    from mmgen.decoders.musicgen.debug import build_tokenizer
    from mmgen.encoders.caption import Captioner

    torch.manual_seed(0)
    config = BlipConfig(
        text_config=dict(
            vocab_size=99,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
            max_position_embeddings=64,
            bos_token_id=3,
            eos_token_id=1,
            sep_token_id=1,
            pad_token_id=0,
        ),
        vision_config=dict(
            image_size=32,
            patch_size=8,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
        ),
        projection_dim=16,
    )
    model = BlipForConditionalGeneration(config).eval()
    model.config.text_config.bos_token_id = 3
    model.save_pretrained(tmp_path)
    build_tokenizer().save_pretrained(tmp_path)
    BlipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    monkeypatch.setenv("MMGEN_BLIP_PATH", str(tmp_path))
    monkeypatch.setattr(Captioner, "_shared", [])
    plan = make_plan(GenerationRequest(image_path=str(pictures["bright_warm"]), duration_s=20, seed=1))
    assert plan.scene and "BLIP sees" in plan.reasons["input"]
    assert f"Music for a scene of {plan.scene.rstrip('.')}." in caption_for(plan)
