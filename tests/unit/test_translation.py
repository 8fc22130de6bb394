"""core.translation: data, tokenizer, models (masking, decoding invariants), training, checkpoints."""

import datetime
from dataclasses import replace

import pytest
import torch

from core import checkpoints, decoding
from core.errors import UserError
from core.plots.translation import top_paths, tree_ends
from core.training import Callback
from core.translation import data, inference, reading
from core.translation.tokenizer import BOS_ID, EOS_ID, Tokenizer, build_vocab, split
from core.translation.train import (
    TrainSettings,
    TranslationTraining,
    collate,
    encode_pairs,
    fine_tune_model,
    fit,
    new_tokens,
    seeded_model,
    train,
    warm_start,
)
from tests.helpers.cli import run_cli

# ---------------------------------------------------------------- data


def test_numbers_pairs_are_deterministic_and_correct():
    from num2words import num2words

    first = data.numbers_pairs(20, seed=3, split="train")
    assert first == data.numbers_pairs(20, seed=3, split="train")
    for source, target in first:
        n = reading.english_value(source)
        assert num2words(n, lang="en") == source and num2words(n, lang="fr") == target


def test_splits_are_disjoint_by_meaning():
    train = {reading.english_value(s) for s, _ in data.numbers_pairs(400, split="train")}
    test = {reading.english_value(s) for s, _ in data.numbers_pairs(400, split="test")}
    assert train and test and not train & test
    train_dates = {t for _, t in data.dates_pairs(300, split="train")}
    test_dates = {t for _, t in data.dates_pairs(300, split="test")}
    assert not train_dates & test_dates


def test_numbers_cover_short_and_long_inputs():
    lengths = [len(split(s, "word")) for s, _ in data.numbers_pairs(500, seed=1)]
    assert min(lengths) <= 3 and max(lengths) >= 30


def test_dates_are_iso_and_in_range():
    for source, target in data.dates_pairs(50, seed=2):
        date = datetime.date.fromisoformat(target)
        assert data.FIRST_DATE <= date <= data.LAST_DATE
        assert reading.reference("dates", source).answer == target


def test_reference_for_typed_phrasing():
    assert reading.reference("numbers:en-fr", "seventy-three").answer == "soixante-treize"
    assert reading.reference("numbers:en-fr", "Seventy three").answer == "soixante-treize"
    assert reading.reference("dates", "25 novembre 2026").answer == "2026-11-25"
    assert reading.reference("pairs", "anything").answer is None


def test_task_pairs_rejects_unknown_tasks():
    with pytest.raises(UserError, match="unknown task"):
        data.task_pairs("weather", 3)
    with pytest.raises(UserError, match="unknown language"):
        data.task_pairs("numbers:en-xx", 3)


GOOD_PAIRS = "".join(f"go {i}.\tva {i} !\tCC-BY 2.0\n" for i in range(30)).encode()


def test_parse_pairs_accepts_tatoeba_format():
    pairs = data.parse_pairs(GOOD_PAIRS)
    assert pairs[0] == ("go 0.", "va 0 !") and len(pairs) == 30
    assert sum(len(data.split_pairs(pairs, s)) for s in data.SPLITS) == 30


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "is empty"),
        (b"\x00\x01\x02binary\x00", "looks binary"),
        ("héllo\tbonjour\n".encode("latin-1") * 30, "not UTF-8"),
        (b"one column only\n" * 30, "has one column"),
        (b"a\tb\n" * 10 + b"a\tb\tc\n", "ragged lines"),
        (b"a\tb\n" * 5, "at least 20"),
    ],
)
def test_parse_pairs_refuses_bad_files(raw, message):
    with pytest.raises(UserError, match=message):
        data.parse_pairs(raw)


# ---------------------------------------------------------------- tokenizer


@pytest.mark.parametrize("level", ["word", "char"])
def test_tokenizer_is_lossless_and_reports_unknown(level):
    pairs = data.numbers_pairs(200, seed=4)
    tok = Tokenizer(build_vocab([t for _, t in pairs], level), level)
    for _, target in pairs[:50]:
        assert tok.decode(tok.encode(target).ids) == target
    encoded = tok.encode("quatre-vingt zzz", max_len=3)
    assert encoded.truncated and len(encoded.ids) == 3
    assert tok.encode("quatre £").unknown == [len(tok.encode("quatre £").tokens) - 1]


# ---------------------------------------------------------------- models


def tiny(kind="encoder-decoder", task="numbers:en-fr", **sizes):
    pairs = data.task_pairs(task, 200, seed=0)
    base = {"embed": 8, "hidden": 16}
    model = seeded_model(0, kind, task, pairs, **base, **sizes).eval()
    return model, pairs


ATTENTIONS = [dict(attention=a) for a in ("none", "additive", "dot", "general")]


@pytest.mark.parametrize("sizes", [*ATTENTIONS, dict(attention="general", cell="lstm", bidirectional=False, layers=2)])
def test_attention_rows_sum_to_one_and_skip_padding(sizes):
    model, pairs = tiny(**sizes)
    batch = collate(encode_pairs(model, pairs[:6]))
    with torch.no_grad():
        logits, weights = model(batch["src"], batch["src_len"], batch["tgt_in"])
    assert logits.shape[:2] == batch["tgt_in"].shape
    if sizes["attention"] == "none":
        assert weights is None
        return
    assert torch.allclose(weights.sum(-1), torch.ones_like(weights.sum(-1)), atol=1e-5)
    for row, length in enumerate(batch["src_len"].tolist()):
        assert weights[row, :, length:].abs().max() == 0 if length < weights.size(-1) else True


@pytest.mark.parametrize(
    "kind, task, sizes",
    [
        ("encoder-decoder", "numbers:en-fr", dict(attention="additive")),
        ("encoder-decoder", "dates", dict(attention="none", cell="lstm")),
        ("plain", "dates", dict(delay=3)),
    ],
)
def test_batched_equals_one_at_a_time(kind, task, sizes):
    model, pairs = tiny(kind, task, **sizes)
    texts = [s for s, _ in pairs[:5]]
    for method in ("greedy", "beam"):
        together = inference.translate(model, texts, method=method, beam_size=3, max_len=12)
        for text, t in zip(texts, together):
            alone = inference.translate(model, [text], method=method, beam_size=3, max_len=12)[0]
            assert alone.target_tokens == t.target_tokens
            assert alone.score == pytest.approx(t.score, abs=1e-4)


def test_beam_width_one_is_greedy_and_scores_rescore():
    model, pairs = tiny(attention="dot")
    texts = [s for s, _ in pairs[:4]]
    greedy = inference.translate(model, texts, max_len=10)
    beam1 = inference.translate(model, texts, method="beam", beam_size=1, n_best=1, max_len=10)
    assert [g.target_tokens for g in greedy] == [b.target_tokens for b in beam1]
    beams = inference.translate(model, texts, method="beam", beam_size=4, n_best=4, alpha=0.6, max_len=10)
    for text, result in zip(texts, beams):
        outputs = [tuple(c.tokens) for c in result.n_best]
        assert len(set(outputs)) == len(outputs)  # unique
        norms = [c.normalized_score for c in result.n_best]
        assert norms == sorted(norms, reverse=True)  # sorted
        src, lengths, _ = inference.encode_sources(model, [text])
        for c in result.n_best:
            ids = [model.tgt_tokenizer.index[t] for t in c.tokens]
            with torch.no_grad():
                state = model.start_state(src, lengths)
                rescored = decoding.teacher_forced_score(model.step, state, torch.tensor([BOS_ID]), ids)
            assert c.score == pytest.approx(rescored, abs=1e-4)
            assert EOS_ID not in ids[:-1]  # finished hypotheses are never extended


@pytest.mark.parametrize("sizes", [*ATTENTIONS, dict(attention="additive", cell="lstm", bidirectional=False, layers=2)])
def test_decoder_step_matches_teacher_forcing(sizes):
    """The one-token path (fused cell calls) gives the logits the sequence path gives."""
    model, pairs = tiny(**sizes)
    batch = collate(encode_pairs(model, pairs[:4]))
    with torch.no_grad():
        logits, weights = model(batch["src"], batch["src_len"], batch["tgt_in"])  # (B, T, V), (B, T, S)
        state = model.start_state(batch["src"], batch["src_len"])
        for t in range(batch["tgt_in"].size(1)):
            step_logits, state, step_weights = model.step(batch["tgt_in"][:, t], state)
            finite = step_logits.isfinite()
            assert torch.allclose(step_logits[finite], logits[:, t][finite], atol=1e-5)
            if weights is not None:
                assert torch.allclose(step_weights, weights[:, t], atol=1e-6)


def test_plain_step_matches_forward():
    model, pairs = tiny("plain", "dates", delay=4)
    batch = collate(encode_pairs(model, pairs[:1]))
    with torch.no_grad():
        logits = model(batch["src"])[0]  # (S, V)
        state = model.start_state(batch["src"], batch["src_len"])
        for t in range(logits.size(0)):
            step_logits, state, attention = model.step(torch.tensor([BOS_ID]), state)
            finite = step_logits[0].isfinite()
            assert torch.allclose(step_logits[0][finite], logits[t][finite], atol=1e-5)
            assert attention is None


def test_stop_at_eos_and_max_len_are_explicit():
    model, pairs = tiny(attention="general")
    ran = inference.translate(model, [pairs[0][0]], max_len=7, stop_at_eos=False)[0]
    assert len(ran.target_tokens) == 7 and not ran.finished
    capped = inference.translate(model, [pairs[0][0]], max_len=2)[0]
    assert len(capped.target_tokens) <= 2
    with pytest.raises(UserError, match="beam search always stops"):
        inference.translate(model, ["one"], method="beam", stop_at_eos=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(method="nucleus"), "decoding method"),
        (dict(method="beam", beam_size=11), "beam width"),
        (dict(method="beam", beam_size=2, n_best=3), "n-best"),
        (dict(temperature=0), "temperature"),
        (dict(alpha=-1), "alpha"),
    ],
)
def test_translate_refuses_bad_options(kwargs, message):
    model, _ = tiny()
    with pytest.raises(UserError, match=message):
        inference.translate(model, ["one"], **kwargs)
    with pytest.raises(UserError, match="empty"):
        inference.translate(model, ["  "])


def test_long_input_is_truncated_and_unknown_tokens_reported():
    model, _ = tiny()
    result = inference.translate(model, ["one " * 200 + "blorp"])[0]
    assert result.truncated and len(result.source_tokens) == model.config.max_source_len
    result = inference.translate(model, ["one blorp"])[0]
    assert result.unknown == [1]


@pytest.mark.parametrize("kind, sizes", [("encoder-decoder", dict(attention="additive")), ("plain", dict(delay=2))])
def test_training_smoke_and_checkpoint_round_trip(tmp_path, kind, sizes):
    model, pairs = tiny(kind, "dates", **sizes)
    history = train(model, pairs, pairs[:20], TrainSettings(epochs=1, steps_per_epoch=2, batch_size=16, eval_pairs=10))
    assert len(history.epochs) == 1 and history.epochs[0]["loss"] > 0 and "val_exact" in history.epochs[0]
    checkpoints.save(model, tmp_path / "m", {"task": "dates"})
    loaded = checkpoints.load(str(tmp_path / "m"))
    assert type(loaded) is type(model)
    text = pairs[0][0]
    assert inference.translate(loaded, [text])[0].target_tokens == inference.translate(model, [text])[0].target_tokens
    again = checkpoints.load_zip(checkpoints.to_zip(model, {"task": "dates"}))
    assert again.config == model.config


def test_forced_length_gives_exactly_that_many_tokens_without_eos():
    """The stopping rule, not the model, sets the length: EOS is masked until L, decoding stops at L."""
    model, pairs = tiny(attention="general")
    for length in (1, 5, 30):
        for method in ("greedy", "sample", "beam"):
            forced = inference.translate(model, [pairs[0][0]], method=method, beam_size=2, forced_len=length)[0]
            assert len(forced.target_tokens) == length and "</s>" not in forced.target_tokens
            assert not forced.finished
            assert len(forced.attention) == length
    plain, _ = tiny("plain", "dates", delay=1)
    with pytest.raises(UserError, match="cannot be forced"):
        inference.translate(plain, ["1 May 2020"], forced_len=4)
    with pytest.raises(UserError, match="forced length"):
        inference.translate(model, ["one"], forced_len=0)


def test_stopping_rows_compare_stopping_rules():
    model, pairs = tiny(attention="general")
    other, _ = tiny(attention="none")
    text = pairs[0][0]
    to_eos, forced, without = inference.stopping_rows([("a", model, None), ("a", model, 9), ("b", other, None)], text)
    natural = inference.translate(model, [text])[0]
    assert to_eos["output"] == natural.output and to_eos["ended with EOS"] == natural.finished
    assert forced["output tokens"] == 9 and not forced["ended with EOS"] and forced["stopping rule"].endswith("9")
    assert without["attention"] == "none" and without["model"] == "b"


def test_csv_exports_hold_every_row():
    import csv
    import io

    model, pairs = tiny(attention="dot")
    results = inference.translate(model, [s for s, _ in pairs[:3]], max_len=6)
    table = list(csv.reader(io.StringIO(inference.attention_csv(results[0]))))
    assert table[0][1:] == results[0].source_tokens and len(table) == 1 + len(results[0].target_tokens)
    assert all(abs(sum(map(float, row[1:])) - 1) < 1e-4 for row in table[1:])
    rows = inference.batch_rows(results)
    back = list(csv.DictReader(io.StringIO(inference.rows_csv(rows))))
    assert [r["output"] for r in back] == [r.output for r in results] and set(back[0]) == set(rows[0])


def test_sampling_seed_is_reproducible_and_matters():
    model, pairs = tiny(attention="dot")
    texts = [s for s, _ in pairs[:8]]

    def sampled(seed):
        results = inference.translate(model, texts, method="sample", temperature=3.0, max_len=8, seed=seed)
        return [r.output for r in results]

    assert sampled(1) == sampled(1)
    assert sampled(1) != sampled(2)


def test_top_paths_keeps_only_the_best_hypotheses_paths():
    model, pairs = tiny(attention="additive")
    result = inference.translate(model, [pairs[0][0]], method="beam", beam_size=4, max_len=12, record_tree=True)[0]
    tree = result.tree
    ends = tree_ends(tree)
    assert len(ends) >= 2 and [e.score for e in ends] == sorted((e.score for e in ends), reverse=True)
    for top in (1, 2):
        kept = top_paths(tree, top)
        ids = {n.id for n in kept}
        assert all(n.parent == -1 or n.parent in ids for n in kept)  # whole paths, back to the root
        assert ids >= {e.id for e in ends[:top]} and not ids & {e.id for e in ends[top:]}
        leaves = [n for n in kept if not any(m.parent == n.id for m in kept)]
        assert {n.id for n in leaves} == {e.id for e in ends[:top]}
        assert max(sum(1 for n in kept if n.step == s) for s in {n.step for n in kept}) <= top
    assert len(top_paths(tree, 1)) == ends[0].step + 1  # one node per step


def test_delay_chart_legend_sits_under_the_plot_not_on_the_title():
    from core.plots.translation import delay_sweep

    fig = delay_sweep(checkpoints.load("dates-iso-plain").meta["delay_sweep"])
    legend = fig.layout.legend
    assert legend.y < 0 and legend.yanchor == "top" and legend.x == 0 and legend.xanchor == "left"


def test_fit_is_the_one_pipeline_and_is_reproducible():
    run = TranslationTraining(
        task="dates",
        train_pairs=64,
        valid_pairs=8,
        embed=8,
        hidden=16,
        attention="dot",
        description="test",
        trained_with="pytest",
        settings=TrainSettings(epochs=1, steps_per_epoch=2, batch_size=16, eval_pairs=8, seed=3),
    )
    model, history = fit(run)
    again, _ = fit(run)
    assert model.meta["task"] == "dates" and model.meta["trained_with"] == "pytest"
    assert model.meta["metrics"] == history.epochs[-1] and "val_exact" in model.meta["metrics"]
    assert model.config.attention == "dot" and model.config.src_level == "char"  # dates: characters
    for a, b in zip(model.parameters(), again.parameters()):
        assert torch.equal(a, b)
    uploaded = data.parse_pairs(GOOD_PAIRS)
    plain, _ = fit(replace(run, kind="plain", task="pairs", level="char", delay=2), pairs=uploaded)
    assert plain.model_type == "rnn-plain-seq2seq" and plain.config.delay == 2
    assert plain.config.src_level == "char" and plain.meta["task"] == "pairs"


class _Epochs(Callback):
    def __init__(self):
        self.epochs = []

    def on_epoch(self, progress):
        self.epochs.append(progress)


@pytest.mark.parametrize("kind", ["encoder-decoder", "plain"])
def test_fine_tune_from_a_saved_model_starts_at_epoch_0_with_shared_tokens_copied(tmp_path, kind):
    numbers = data.task_pairs("numbers:en-fr", 80, seed=0)
    old = seeded_model(0, kind, "numbers:en-fr", numbers, embed=8, hidden=16)
    checkpoints.save(old, tmp_path / "old", {})
    start = checkpoints.load(str(tmp_path / "old"))
    before = {k: v.clone() for k, v in start.state_dict().items()}
    # uploaded pairs that share most tokens with the start model and bring two of their own
    pairs = [(f"{s} cats", f"{t} chats") for s, t in numbers]

    tuned = fine_tune_model(start, "pairs", pairs)
    assert tuned.config.src_vocab[: len(start.config.src_vocab)] == start.config.src_vocab
    assert tuned.config.src_vocab[len(start.config.src_vocab) :] == ["▁cats"]
    assert new_tokens(start, pairs) == {"source": ["▁cats"], "target": ["▁chats"]}
    embed = "encoder.embed.weight" if kind == "encoder-decoder" else "embed.weight"
    index = start.config.src_vocab.index("▁hundred")
    assert torch.equal(tuned.state_dict()[embed][index], start.state_dict()[embed][index])
    out = "decoder.out.weight" if kind == "encoder-decoder" else "out.weight"
    index = start.config.tgt_vocab.index("▁cent")
    assert torch.equal(tuned.state_dict()[out][index], start.state_dict()[out][index])

    run = TranslationTraining(
        kind="encoder-decoder" if kind == "plain" else "plain",  # ignored: a fine-tune keeps the start's network
        task="pairs",
        level="char",  # ignored too: the start model's tokenisation reads the pairs
        hidden=64,
        settings=TrainSettings(epochs=2, steps_per_epoch=2, batch_size=8, eval_pairs=16),
    )
    seen = _Epochs()
    model, history = fit(run, pairs, seen, start=start)
    assert [p.epoch for p in seen.epochs] == [0, 1, 2]
    assert seen.epochs[0].step == 0 and "val_loss" in seen.epochs[0].metrics
    assert [e["epoch"] for e in history.epochs] == [0, 1, 2] and model.meta["start"] == history.epochs[0]
    assert model.model_type == start.model_type and model.config.hidden == 16 and model.config.src_level == "word"
    assert all(torch.equal(v, before[k]) for k, v in start.state_dict().items())  # the start model is untouched


@pytest.mark.parametrize("kind", ["encoder-decoder", "plain"])
def test_a_frozen_fine_tune_keeps_the_reading_side_and_trains_the_rest(tmp_path, kind):
    numbers = data.task_pairs("numbers:en-fr", 80, seed=0)
    start = seeded_model(0, kind, "numbers:en-fr", numbers, embed=8, hidden=16)
    run = TranslationTraining(task="pairs", freeze_encoder=True, settings=TrainSettings(epochs=1, steps_per_epoch=3))
    model, _ = fit(run, numbers, start=start)
    reader = "encoder." if kind == "encoder-decoder" else "embed."
    old, new = start.state_dict(), model.state_dict()
    assert all(torch.equal(new[k], old[k]) for k in old if k.startswith(reader))
    assert any(not torch.equal(new[k], old[k]) for k in old if not k.startswith(reader))


def test_warm_start_refuses_another_architecture():
    pairs = data.task_pairs("numbers:en-fr", 40, seed=0)
    old = seeded_model(0, "encoder-decoder", "numbers:en-fr", pairs, embed=8, hidden=16, attention="dot")
    new = seeded_model(0, "encoder-decoder", "numbers:en-fr", pairs, embed=8, hidden=16, attention="general")
    with pytest.raises(UserError, match="differ"):
        warm_start(new, old)


def test_bad_configs_are_refused():
    model, _ = tiny()
    values = {**model.config.__dict__, "attention": "magic"}
    with pytest.raises(UserError, match="attention must be one of"):
        checkpoints.config_from_dict(type(model.config), values)


# ---------------------------------------------------------------- shipped checkpoints

SHIPPED = [
    "numbers-en-fr",
    "numbers-en-fr-generated",
    "numbers-en-fr-noattn",
    "dates-iso",
    "dates-iso-generated",
    "dates-iso-dot",
    "dates-iso-noattn",
    "dates-iso-plain",
]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_matches_its_recorded_quality(name):
    model = checkpoints.load(name)
    pairs = data.task_pairs(model.config.task, 100, seed=5, split="test")
    rows = inference.evaluate_pairs(model, pairs)
    accuracy = sum(r["exact"] for r in rows) / len(rows)
    recorded = model.meta["metrics"]["test_exact"]
    assert abs(accuracy - recorded) <= 0.1, (accuracy, recorded)
    if model.model_type == "rnn-translator" and model.config.attention != "none":
        assert accuracy >= 0.97
    assert (checkpoints.ASSETS_DIR / name / "model.safetensors").stat().st_size <= 5 * 2**20


# ---------------------------------------------------------------- CLI


def test_cli_translate_json_and_file(tmp_path):
    import json

    result = run_cli("translate", "--model", "dates-iso", "--json", "--beam", "3", "25 novembre 2026", "May 8, 2085")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["output"] for r in rows] == ["2026-11-25", "2085-05-08"]
    for row in rows:
        assert {"input", "output", "source_tokens", "target_tokens", "attention", "score"} <= set(row)
        assert len(row["attention"]) == len(row["target_tokens"])
        assert all(len(line) == len(row["source_tokens"]) for line in row["attention"])
    inputs = tmp_path / "in.txt"
    inputs.write_text("seventy-three\n\ntwelve\n", encoding="utf-8")
    result = run_cli("translate", "--model", "numbers-en-fr", "--file", str(inputs))
    assert result.stdout.splitlines() == ["soixante-treize", "douze"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["translate", "--model", "dates-iso", ""], "is empty"),
        (["translate", "--model", "no-such-model", "x"], "no model"),
        (["translate", "--model", "dates-iso", "--beam", "11", "x"], "beam width"),
        (["translate", "--model", "dates-iso", "--file", "/no/such/file"], "No such file"),
        (["translate", "--model", "dates-iso"], "nothing to translate"),
        (["train", "translation", "--task", "weather", "--dry-run"], "unknown task"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_cli_train_dry_run_saves_a_loadable_checkpoint(tmp_path):
    import json

    out = tmp_path / "model"
    result = run_cli(
        "train", "translation", "--task", "dates", "--dry-run", "--json", "--threads", "1", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["dry_run"] is True
    assert checkpoints.load(str(out)).config.task == "dates"
