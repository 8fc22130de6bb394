"""Generation: corpora, char-RNN, decoding glue, music checks, training and the CLI (tiny configs)."""

import io
import json
import wave
from dataclasses import replace

import pytest
import torch

from core import checkpoints
from core.errors import UserError
from core.generation import corpora, generate, music
from core.generation.model import BOUNDARY, CharRNN, CharRNNConfig
from core.generation.train import (
    Corpus,
    GeneratorTraining,
    StreamData,
    _common,
    _Recorder,
    build_vocab,
    evaluate_loss,
    folk_text,
    text_corpus,
    train_char_rnn,
)
from tests.helpers.cli import run_cli_process

TEXTS = ["abc abc abd\n", "cab bad dab\n", "add a cab\n", "bad cab dad\n"]


def tiny_model(styled: bool = False, cell: str = "gru") -> CharRNN:
    torch.manual_seed(0)
    config = CharRNNConfig(vocab=build_vocab(TEXTS), cell=cell, embed=8, hidden=16)
    if styled:
        config.style_fields, config.style_values = ["meter", "key"], [["6/8", "2/4", "other"], ["D", "G", "other"]]
    return CharRNN(config).eval()


# ---- corpora ---------------------------------------------------------------------------------


def test_folk_tunes_have_headers_and_music():
    tunes = corpora.folk_tunes()
    assert len(tunes) > 12_000
    meters = {t.meter for t in tunes}
    assert {"2/4", "6/8", "4/4", "3/4", "2/2"} <= meters and "C" not in meters and "C|" not in meters
    tune = next(t for t in tunes if t.meter == "6/8" and t.key == "D")
    assert tune.abc.startswith("X:1\nM:6/8\nL:") and "\nK:D\n" in tune.abc
    assert all(t.body and "%" not in t.body.split("\n")[0][:1] for t in tunes[:200])
    assert {t.tune_type for t in tunes} >= {"song", "reel", "jig", "hornpipe"}


@pytest.mark.parametrize(
    "raw, key",
    [
        ("D", "D"),
        ("E Minor", "Em"),
        ("Ador", "Ador"),
        ("AMix", "Amix"),
        ("E phr bass", "Ephr"),
        ("Bb", "Bb"),
        ("HP", None),
    ],
)
def test_normalize_key(raw, key):
    assert corpora.normalize_key(raw) == key


def test_key_label_and_meter():
    assert corpora.key_label("Ador") == "A dorian" and corpora.key_label("Bbm") == "Bb minor"
    assert corpora.normalize_meter("C|") == "2/2" and corpora.normalize_meter("none") == "free"


def test_split_is_by_item_and_disjoint():
    docs = corpora.prose_documents()
    assert len(docs) == 79
    train, valid = corpora.split_by_item(docs, 0.1, seed=0)
    assert len(valid) == 8 and not {d.title for d in train} & {d.title for d in valid}
    assert corpora.split_by_item(docs, 0.1, seed=0) == (train, valid)


TEXT = "Der Bär läuft über die Straße. Ça va très bien, merci. " * 4


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf_8"),
        (TEXT.encode("utf-16"), "utf_16"),
        (TEXT.encode("utf-16-le"), "utf_16_le"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf_8_sig"),
    ],
)
def test_decode_upload_encodings(data, encoding):
    decoded = corpora.decode_upload(data)
    assert decoded.encoding == encoding and decoded.text.startswith("Der Bär")


def test_decode_upload_latin1_is_detected_and_said():
    decoded = corpora.decode_upload(TEXT.encode("latin-1"))
    assert "Bär" in decoded.text and "not UTF-8" in decoded.notices[0]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b" \n\t ", "empty"),
        (bytes(range(256)) * 40, "binary"),
        (b"too short", "at least 100"),
        (b"x" * (2 * 2**20), "limit is 1 MB"),
    ],
)
def test_decode_upload_refuses(data, message):
    with pytest.raises(UserError, match=message):
        corpora.decode_upload(data, max_mb=1)


def test_huge_text_is_sampled_with_a_notice():
    text, notice = corpora.sample_for_training("abcdefghij\n" * 50_000, max_chars=10_000)
    assert len(text) < 11_000 and "sample" in notice
    assert corpora.sample_for_training("short", 100) == ("short", None)


# ---- model and decoding -------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_step_matches_forward(cell):
    model = tiny_model(styled=True, cell=cell)
    ids = [BOUNDARY, *model.encode("abc dab")]
    style = model.style_ids({"meter": "6/8", "key": "G"})
    logits, _ = model(torch.tensor([ids]), style[None])
    prime = generate.Prime("", [], [])
    start, state = generate._start(model, prime, 1, {"meter": "6/8", "key": "G"})
    token = start
    for t, next_id in enumerate(ids[1:]):
        step_logits, state, _ = model.step(token, state)
        assert torch.allclose(step_logits[0], logits[0, t], atol=1e-5)
        token = torch.tensor([next_id])


def test_unknown_style_uses_fallback_and_checkpoint_roundtrip(tmp_path):
    model = tiny_model(styled=True)
    assert model.style_ids({"meter": "7/8"}).tolist() == [2, 2]
    checkpoints.save(model, tmp_path / "m", {"task": "t"})
    loaded = checkpoints.load(str(tmp_path / "m"))
    x = torch.tensor([[0, 1, 2]])
    s = torch.tensor([[0, 1]])
    assert torch.equal(loaded(x, s)[0], model(x, s)[0])


def test_prime_maps_and_drops_visibly():
    model = tiny_model()
    prime = generate.prepare_prime(model, "ab\u00e1\u201c€c")
    assert prime.text == "abac"
    assert any("'á' → 'a'" in n for n in prime.notices)
    assert any("'€'" in n and "dropped" in n for n in prime.notices)
    assert any("whitespace" in n for n in generate.prepare_prime(model, "   ").notices)


def test_settings_cap_and_refuse():
    capped = generate.Settings(length=10**9, n=1000).checked()
    assert capped.length == generate.MAX_LENGTH and capped.n == generate.MAX_SAMPLES and len(capped.notices) == 2
    for bad in (dict(length=0), dict(temperature=0.0), dict(top_p=0.0), dict(top_k=-1), dict(method="x")):
        with pytest.raises(UserError):
            generate.Settings(**bad).checked()


def test_beam_scores_match_rescoring_and_sampling_is_seeded():
    model = tiny_model()
    prime = generate.prepare_prime(model, "ab")
    greedy = generate.generate(model, prime, generate.Settings("greedy", 20))[0]
    assert greedy.text == model.decode(greedy.ids) and (greedy.finished or len(greedy.ids) == 20)
    beams = generate.generate(model, prime, generate.Settings("beam", 20, n=3, beam=3))
    assert [b.log_prob for b in beams] == sorted((b.log_prob for b in beams), reverse=True)
    best = beams[0]
    logits = generate.trace(model, prime, best.text)
    rescored = torch.tensor(generate.char_probabilities(logits, model, best.text)).log().sum().item()
    if best.finished:  # the beam's score also counts the end token, whose log-probability is < 0
        assert rescored > best.log_prob
    else:
        assert rescored == pytest.approx(best.log_prob, abs=1e-4)
    settings = generate.Settings("sample", 30, n=1, seed=3)
    first = generate.generate(model, prime, settings)[0]
    assert generate.generate(model, prime, settings)[0].ids == first.ids
    streamed = "".join(generate.stream(model, prime, settings))
    assert streamed == first.text  # the streamed sample is the batch-1 sample


def test_trace_rescores_the_sample_and_step_view():
    model = tiny_model()
    prime = generate.prepare_prime(model, "ab")
    sample = next(
        s
        for seed in range(20)
        if len((s := generate.generate(model, prime, generate.Settings(length=25, seed=seed))[0]).text) > 4
    )
    logits = generate.trace(model, prime, sample.text)
    probs = generate.char_probabilities(logits, model, sample.text)
    rescored = torch.tensor(probs).log().sum().item()
    if sample.finished:  # add the end token's log-probability after the text
        after = generate.trace(model, generate.prepare_prime(model, "ab" + sample.text), "a")
        rescored += after[0].log_softmax(-1)[BOUNDARY].item()
    assert rescored == pytest.approx(sample.log_prob, abs=1e-3)
    view = generate.step_view(model, logits, prime, sample.text, 3, generate.Settings(top_k=2))
    assert sum(v > 0 for v in view.filtered) <= 2 and view.chosen == sample.text[3]
    assert view.raw == sorted(view.raw, reverse=True)


def test_blocking_repeated_ngrams_stops_greedy_prose_looping():
    model = checkpoints.load("python-prose")
    prime = generate.prepare_prime(model, "The ")
    looped = generate.generate(model, prime, generate.Settings("greedy", 300))[0].text
    grams = [looped[i : i + 12] for i in range(len(looped) - 11)]
    assert len(set(grams)) < len(grams)  # greedy repeats itself ("the comparison of the comparison ...")
    blocked = generate.generate(model, prime, generate.Settings("greedy", 300, no_repeat_ngram=12))[0].text
    text = prime.text[-1] + blocked  # the decoder's blocker starts at the prime's last character
    grams = [text[i : i + 12] for i in range(len(text) - 11)]
    assert len(set(grams)) == len(grams) and blocked[:20] == looped[:20]
    for method in ("beam", "sample"):
        settings = generate.Settings(method, 200, beam=3, no_repeat_ngram=8)
        text = prime.text[-1] + generate.generate(model, prime, settings)[0].text
        grams = [text[i : i + 8] for i in range(len(text) - 7)]
        assert len(set(grams)) == len(grams), method
    logits = generate.trace(model, prime, blocked)
    view = generate.step_view(model, logits, prime, blocked, 150, generate.Settings("greedy", no_repeat_ngram=12))
    assert view.chosen_filtered == 1.0  # the per-step view shows the blocked choice greedy made
    with pytest.raises(UserError, match="blocked n-gram"):
        generate.Settings(no_repeat_ngram=1).checked()


def test_model_and_training_share_one_table_of_ranges():
    from core.generation.model import RANGES

    low, high = RANGES["layers"]
    for make in (lambda n: CharRNNConfig(layers=n), lambda n: GeneratorTraining(layers=n)):
        make(high).validate()
        with pytest.raises(UserError, match=f"layers must be in {low}..{high}"):
            make(high + 1).validate()


def test_style_options_offer_each_value_once():
    model = checkpoints.load("folk-abc")
    options = generate.style_options(model)
    assert model.config.style_values[2].count("other") == 2  # the shipped checkpoint's list
    assert options["type"].count("other") == 1 and "jig" in options["type"]
    assert "other" not in options["key"] and "free" not in options["meter"]
    assert _common(["jig", "other", "jig", "reel", "other"], 1) == ["jig", "reel", "other"]


# ---- music -----------------------------------------------------------------------------------

GOOD = "L:1/8\n|:A|dfa afd|g2e f2d|cBA ded|e3 e2:|\n"


def test_assemble_parse_audio_midi():
    abc = music.assemble_abc(GOOD, "6/8", "D")
    assert abc.startswith("X:1\nT:") and "M:6/8\nL:1/8\nK:D\n" in abc
    parsed = music.parse_abc(abc)
    assert parsed.ok and parsed.notes == 19
    full, bars = music.bar_fraction(parsed.score, "6/8")
    assert bars >= 4 and full == bars - 2  # pickup bar and last bar are short
    tune = music.render(abc, "6/8", "D")
    assert tune.check.plays and tune.midi[:4] == b"MThd" and not tune.repairs
    assert len(tune.notes) == 2 * 19  # the repeat is played
    with wave.open(io.BytesIO(tune.wav)) as w:
        assert w.getframerate() == music.SAMPLE_RATE and w.getnframes() > music.SAMPLE_RATE * 3


def midi_seconds(data: bytes) -> float:
    """End of the last event of a MIDI file, read back with music21's MIDI reader (tempo events honoured)."""
    from music21 import midi

    reader = midi.MidiFile()
    reader.readstr(data)
    tick, seconds, per_tick = 0, 0.0, 0.5 / reader.ticksPerQuarterNote  # MIDI's default 120 qpm
    for event in reader.tracks[0].events:
        if isinstance(event, midi.DeltaTime):
            tick += event.time
            seconds += event.time * per_tick
        elif event.type == midi.MetaEvents.SET_TEMPO:
            per_tick = midi.getNumber(event.data, 3)[0] / 1e6 / reader.ticksPerQuarterNote
    return seconds


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def test_audio_and_midi_play_the_same_expanded_repeats():
    # two lines: music21 makes no measures (and so no repeats) of a one-line tune
    once = music.render(music.assemble_abc("L:1/8\ndfa afd|g2e f2d|\ncBA ded|e3 e3|]\n", "6/8", "D"), "6/8", "D")
    twice = music.render(music.assemble_abc("L:1/8\n|:dfa afd|g2e f2d|\ncBA ded|e3 e3:|\n", "6/8", "D"), "6/8", "D")
    assert twice.seconds == pytest.approx(2 * once.seconds)
    for tune in (once, twice):
        assert midi_seconds(tune.midi) == pytest.approx(tune.seconds, abs=0.01)
        assert wav_seconds(tune.wav) == pytest.approx(tune.seconds + music.TAIL_SECONDS, abs=0.01)


def test_q_field_sets_the_tempo():
    plain = music.assemble_abc("L:1/8\ndfa afd|g2e f2d|\ncBA ded|e3 e3|]\n", "6/8", "D")
    slow = plain.replace("K:D", "Q:3/8=40\nK:D")  # 40 dotted quarters a minute = 60 quarters
    fast, slow_tune = music.render(plain, "6/8", "D"), music.render(slow, "6/8", "D")
    assert (fast.qpm, slow_tune.qpm) == (music.DEFAULT_QPM, 60.0)
    assert slow_tune.seconds == pytest.approx(2 * fast.seconds)
    assert midi_seconds(slow_tune.midi) == pytest.approx(slow_tune.seconds, abs=0.01)
    assert wav_seconds(slow_tune.wav) == pytest.approx(slow_tune.seconds + music.TAIL_SECONDS, abs=0.01)


@pytest.mark.parametrize(
    "body, repaired, notes",
    [
        ("|:dfa afd|g2e f2d|\ncBA ded|e3 e3|]", "|dfa afd|g2e f2d|\ncBA ded|e3 e3|]", 1),  # a start never closed
        ("|:dfa afd|g2e f2d|\n|:cBA ded|e3 e3:|", "|:dfa afd|g2e f2d|\n|cBA ded|e3 e3:|", 1),  # a start while open
        (  # a second "2nd ending"
            "|:dfa afd|g2e f2d|\ncBA ded|1e3 e3:|2 e3 d3|2 fed d3|]",
            "|:dfa afd|g2e f2d|\ncBA ded|1e3 e3:|2 e3 d3| fed d3|]",
            1,
        ),
        (  # well formed: unchanged
            "|:dfa afd|g2e f2d|\ncBA ded|1e3 e3:|2 e3 d3|]",
            "|:dfa afd|g2e f2d|\ncBA ded|1e3 e3:|2 e3 d3|]",
            0,
        ),
        (  # bar-like text in a chord name, a decoration and an inline field is not a bar line
            '"|:G"dfa !trill!afd|g2e f2d|\ncBA [K:G]ded|e3 e3|]',
            '"|:G"dfa !trill!afd|g2e f2d|\ncBA [K:G]ded|e3 e3|]',
            0,
        ),
    ],
)
def test_unbalanced_repeats_are_repaired_and_play(body, repaired, notes):
    abc = music.assemble_abc("L:1/8\n" + body, "6/8", "D")
    fixed, changes = music.repair_repeats(abc)
    assert fixed.split("K:D\n", 1)[1].strip() == repaired and len(changes) == notes
    tune = music.render(abc, "6/8", "D")
    assert tune.check.plays and tune.midi and tune.wav and tune.repairs == changes


def test_parseable_tune_that_music21_cannot_play_is_reported_not_raised(monkeypatch):
    def broken(score, qpm):
        raise RuntimeError("the object is already found in this Stream")

    monkeypatch.setattr(music, "score_notes", broken)
    tune = music.render(music.assemble_abc(GOOD, "6/8", "D"), "6/8", "D")
    assert tune.check.parses and not tune.check.plays and "already found" in tune.check.error
    assert tune.abc and not tune.midi and not tune.wav


def test_parse_failure_says_where():
    abc = music.assemble_abc("L:1/8\n|:A|dfa afd|\ncBA [ded|e2 :|\nfff|\n", "6/8", "D")
    parsed = music.parse_abc(abc)
    assert not parsed.ok and "chord" in parsed.error
    assert abc.split("\n")[parsed.line - 1] == "cBA [ded|e2 :|"


def test_real_tunes_honour_meter_and_key():
    tunes = [t for t in corpora.folk_tunes() if t.meter == "6/8" and t.key == "D"][:4]
    summary = music.summarize([music.check_tune(t.abc, t.meter, t.key) for t in tunes])
    assert summary["parse_rate"] == 1.0 and summary["full_bar_fraction"] > 0.6 and summary["key_match_rate"] >= 0.5


# ---- training ----------------------------------------------------------------------------------


def test_stream_chunks_carry_style_per_character():
    model = tiny_model(styled=True)
    data = StreamData(model, TEXTS, [{"meter": "6/8", "key": "D"}, {"meter": "2/4", "key": "G"}] * 2)
    x, y, s, new_pass = next(data.chunks(batch=2, bptt=5, seed=0))
    assert x.shape == y.shape == (2, 5) and s.shape == (2, 5, 2) and new_pass
    assert torch.equal(x[:, 1:], y[:, :-1])


def test_train_two_steps_records_gallery_and_loss_falls():
    corpus = Corpus("toy", TEXTS * 20, TEXTS)
    cfg = GeneratorTraining(hidden=16, embed=8, batch=4, bptt=16, rounds=2, steps_per_round=15, gallery_steps=[1])
    result = train_char_rnn(corpus, cfg)
    gallery = result.meta["gallery"]
    assert [g["step"] for g in gallery] == [1, 15, 30]
    assert gallery[-1]["valid_loss"] < gallery[0]["valid_loss"]
    assert result.meta["metrics"]["valid_loss"] == pytest.approx(
        evaluate_loss(result.model, StreamData(result.model, TEXTS, None)), abs=1e-3
    )


def test_running_average_is_the_mean_of_the_snapshots():
    model = tiny_model()
    recorder = _Recorder(model, GeneratorTraining(average_every=1), None, None)
    snapshots = []
    for scale in (1.0, 2.0, 6.0):
        with torch.no_grad():
            model.head.bias.fill_(scale)
        snapshots.append(model.head.bias.clone())
        recorder._add_to_average()
    assert recorder.snapshots == 3
    assert torch.allclose(recorder.average["head.bias"], torch.stack(snapshots).mean(0))


def test_continued_training_with_averaging_keeps_the_lower_loss():
    corpus = Corpus("toy", TEXTS * 20, TEXTS)
    cfg = GeneratorTraining(hidden=16, embed=8, batch=4, bptt=16, rounds=1, steps_per_round=10)
    first = train_char_rnn(corpus, cfg).model
    cfg.average_every, cfg.lr = 2, 1e-2
    second = train_char_rnn(corpus, cfg, start=first)
    assert second.model is first
    averaged = second.meta["training"]["averaged"]
    assert averaged["snapshots"] == 5
    kept_round = second.meta["history"][0]["valid_loss"]  # every validation character: eval_chars covers them
    assert second.meta["metrics"]["valid_loss"] == pytest.approx(min(averaged["valid_loss"], kept_round), abs=1e-4)
    assert averaged["used"] == (averaged["valid_loss"] < kept_round)
    with pytest.raises(UserError, match="hidden"):
        train_char_rnn(corpus, GeneratorTraining(hidden=32, embed=8, batch=4, bptt=16), start=first)


def test_folk_averaging_phase_joins_history_and_never_ends_worse(monkeypatch):
    from core.generation import recipes

    tiny = GeneratorTraining(hidden=16, embed=8, batch=4, bptt=16, rounds=2, steps_per_round=5, sample_chars=10)
    monkeypatch.setattr(recipes, "FOLK", tiny)
    monkeypatch.setattr(recipes, "FOLK_AVERAGING", replace(tiny, rounds=1, lr=0.5, average_every=2))
    corpus = Corpus("toy", TEXTS * 20, TEXTS)
    first = train_char_rnn(corpus, tiny).model
    first_loss = first.meta["metrics"]["valid_loss"]
    model, meta = recipes.average_folk(corpus, first)
    assert [e["epoch"] for e in meta["history"]] == [1, 2, 3]
    assert [g["step"] for g in meta["gallery"]] == [5, 10, 15]
    assert meta["training"]["averaging_phase"]["averaged"]["snapshots"] == 2
    assert meta["metrics"]["valid_loss"] <= first_loss
    held_out = StreamData(model, TEXTS, None)
    assert evaluate_loss(model, held_out) == pytest.approx(meta["metrics"]["valid_loss"], abs=1e-4)


def test_fixed_vocabulary_drops_the_other_characters():
    corpus = Corpus("toy", TEXTS * 20, TEXTS)
    cfg = GeneratorTraining(hidden=16, embed=8, batch=4, bptt=16, rounds=1, steps_per_round=2, vocab=["", *"abc "])
    result = train_char_rnn(corpus, cfg)
    assert result.model.config.vocab == ["", *"abc "] and result.meta["data"]["vocab"] == 5


def test_folk_text_drops_annotations():
    tune = next(t for t in corpora.folk_tunes() if '"' in t.body)
    assert '"' not in folk_text(tune) and folk_text(tune).startswith(f"L:{tune.unit}\n")


def test_text_corpus_splits_by_paragraph():
    corpus = text_corpus("\n\n".join(f"Paragraph {i} " + "word " * 100 for i in range(30)))
    assert len(corpus.train) > len(corpus.valid) >= 1


# ---- shipped checkpoints ----------------------------------------------------------------------


@pytest.mark.parametrize("name, limit", [("folk-abc", 1.6), ("python-prose", 2.0)])
def test_shipped_model_on_held_out_texts(name, limit):
    from core.generation.train import folk_corpus, prose_corpus

    model = checkpoints.load(name)
    corpus = folk_corpus() if name == "folk-abc" else prose_corpus()
    held_out = StreamData(model, corpus.valid[:30], (corpus.valid_styles or [])[:30] or None)
    assert evaluate_loss(model, held_out, max_chars=8000) < limit
    assert model.meta["gallery"] and model.meta["metrics"]["valid_loss"] < limit


def test_shipped_folk_model_writes_a_tune_that_parses():
    model = checkpoints.load("folk-abc")
    prime = generate.prepare_prime(model, "")
    samples = generate.generate(
        model, prime, generate.Settings("sample", 400, n=3, seed=0), {"meter": "6/8", "key": "D"}
    )
    checks = [music.check_tune(music.assemble_abc(s.text, "6/8", "D"), "6/8", "D") for s in samples]
    assert any(c.parses for c in checks)


# Tunes that crashed the page in music21 10.5 (issue 17): a StreamException from a reused time signature
# (6/8 jig seed 3) and "badly formed repeats" (9/8 slip jig seed 16, 4/4 hornpipes 11 and 14, slip jig 37).
@pytest.mark.parametrize(
    "meter, kind, seed", [("6/8", "jig", 3), ("9/8", "slip jig", 16), ("9/8", "slip jig", 37), ("4/4", "hornpipe", 11)]
)
def test_shipped_folk_tunes_that_crashed_now_play(meter, kind, seed):
    model = checkpoints.load("folk-abc")
    settings = generate.Settings("sample", 1500, seed=seed)
    sample = generate.generate(
        model, generate.prepare_prime(model, ""), settings, {"meter": meter, "key": "D", "type": kind}
    )
    tune = music.render(music.assemble_abc(sample[0].text, meter, "D"), meter, "D")
    assert tune.check.parses and tune.check.plays, tune.check.error
    assert midi_seconds(tune.midi) == pytest.approx(tune.seconds, abs=0.01)


# ---- CLI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "--model", "no-such-model"], "no model"),
        (["generate", "--model", "folk-abc", "--meter", "7/9"], "--meter '7/9'"),
        (["generate", "--model", "python-prose", "--key", "D"], "not conditioned"),
        (["generate", "--model", "python-prose", "--length", "0"], "length must be"),
        (["generate", "--model", "python-prose", "--temperature", "0"], "temperature must be"),
        (["generate", "--model", "python-prose", "--beam", "3", "--greedy"], "one of --beam"),
        (["train", "generator", "--corpus", "/no/such/file"], "--corpus must be"),
        (["train", "generator", "--corpus", "prose", "--transpose", "2"], "only with --corpus folk"),
        (["train", "generator", "--corpus", "folk", "--transpose", "-1"], "must be 0..11"),
        (["train", "generator", "--average-every", "-5"], "average_every must be 0"),
        (["train", "generator", "--layers", "4"], "layers must be in 1..3"),
        (["generate", "--model", "python-prose", "--wav", "x.wav"], "--midi/--wav write one tune"),
        (["generate", "--model", "folk-abc", "--n", "2", "--midi", "x.mid"], "--midi/--wav write one tune"),
    ],
)
def test_cli_bad_input_one_line_exit_2(args, message, capsys):
    from core.cli import main

    assert main(args) == 2  # in-process: the same path as `python -m core`, without a new interpreter
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err


def test_cli_generate_json_and_train_dry_run(tmp_path):
    result = run_cli_process(
        "generate", "--model", "folk-abc", "--meter", "6/8", "--key", "D", "--n", "2", "--length", "200", "--json"
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2 and {"text", "log_prob", "parses", "plays", "repairs", "abc"} <= set(rows[0])
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join(f"Paragraph {i}: " + "the cat sat on the mat. " * 20 for i in range(20)))
    args = ["--corpus", str(corpus), "--batch-size", "8", "--average-every", "1", "--dry-run", "--json"]
    result = run_cli_process("train", "generator", *args)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["dry_run"] is True


def test_cli_train_folk_with_transposed_copies_dry_run(capsys):
    from core.cli import main

    assert main(["train", "generator", "--corpus", "folk", "--transpose", "1", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["dry_run"] is True


# ---- fine-tuning -------------------------------------------------------------------------------


def test_fine_tune_maps_or_drops_characters_the_vocabulary_lacks_and_says_so():
    from core.generation.finetune import fit_to_vocab

    fit = fit_to_vocab(["ab\u00e1 c€", "\u00e1\u00e1 €"], tiny_model())
    assert fit.texts == ["aba c", "aa "]
    assert fit.mapped == {"\u00e1": "a"} and fit.dropped == ["€"]
    assert fit.notices == [
        "characters the start model's vocabulary lacks, mapped: 'á' → 'a' (3×)",
        "characters the start model's vocabulary lacks, dropped: '€' (2×)",
    ]


def tiny_fine_tune_config(**changes) -> GeneratorTraining:
    cfg = GeneratorTraining(batch=2, bptt=8, rounds=2, steps_per_round=3, eval_chars=0, sample_chars=10, lr=0.01)
    return replace(cfg, **changes)


def test_fine_tune_starts_where_the_start_model_is_and_leaves_it_unchanged():
    from core.generation.finetune import fine_tune

    start = tiny_model()
    before = {k: v.clone() for k, v in start.state_dict().items()}
    corpus = Corpus("new", ["dab cab bad\u00e9\n" * 3, "cad bad\n" * 4, "abc\n" * 6], ["bad dab cab\n" * 4])
    epochs = []

    class Record(_Recorder.__mro__[1]):  # the Callback base: keep every reported round
        def on_epoch(self, progress):
            epochs.append((progress.epoch, dict(progress.metrics)))

    result = fine_tune(start, corpus, tiny_fine_tune_config(), Record(), start_name="tiny")
    valid = StreamData(start, ["bad dab cab\n" * 4], None)
    start_loss = evaluate_loss(start, valid)
    assert epochs[0][0] == 0 and epochs[0][1]["valid_loss"] == pytest.approx(start_loss)
    assert result.meta["history"][0]["epoch"] == 0
    assert result.meta["history"][0]["valid_loss"] == pytest.approx(start_loss)
    assert result.meta["start"]["valid_loss"] == pytest.approx(start_loss)
    assert [e["epoch"] for e in result.meta["history"]] == [0, 1, 2]
    assert result.meta["fine_tuned_from"] == "tiny" and any("dropped: 'é' (3×)" in n for n in result.meta["notices"])
    assert result.model.config == start.config and result.model is not start
    assert all(torch.equal(v, start.state_dict()[k]) for k, v in before.items())  # the start model is untouched
    assert result.meta["metrics"]["valid_loss"] < start_loss


def test_fine_tune_can_freeze_the_embeddings_and_lower_layers():
    from core.generation.finetune import fine_tune, freeze_lower

    torch.manual_seed(0)
    start = CharRNN(CharRNNConfig(vocab=build_vocab(TEXTS), embed=8, hidden=16, layers=2)).eval()
    frozen = freeze_lower(replace_model := CharRNN(start.config))
    assert frozen == ["embed.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"]
    assert all(p.requires_grad == (n not in frozen) for n, p in replace_model.named_parameters())
    corpus = Corpus("new", [t * 3 for t in TEXTS[:3]], [TEXTS[3] * 4])
    result = fine_tune(start, corpus, tiny_fine_tune_config(), freeze=True)
    tuned, old = result.model.state_dict(), start.state_dict()
    assert all(torch.equal(tuned[n], old[n]) for n in frozen)
    assert not torch.equal(tuned["rnn.weight_hh_l1"], old["rnn.weight_hh_l1"])
    assert all(p.requires_grad for p in result.model.parameters())


def test_styled_start_model_fine_tunes_on_abc_tunes_not_plain_text():
    from core.generation.finetune import corpus_for, tunes_corpus

    model = tiny_model(styled=True)
    abc = "".join(f"X:{i}\nT:t{i}\nM:6/8\nR:jig\nK:G\n|abc abd|cab bad|\n\n" for i in range(1, 6))
    corpus = corpus_for(model, tunes_corpus(abc, "mine.abc"))
    assert len(corpus.train) == 4 and len(corpus.valid) == 1
    assert corpus.train_styles[0] == {"meter": "6/8", "key": "G", "type": "jig"}
    assert corpus.style_values == model.config.style_values
    assert any("'L' (" in n or "'L'" in n for n in corpus.notices)  # 'L:1/8' has characters the toy lacks
    with pytest.raises(UserError, match="ABC tunes"):
        corpus_for(model, Corpus("prose", TEXTS[:3], TEXTS[3:]))
    with pytest.raises(UserError, match="found 0 ABC tune"):
        tunes_corpus("just words", "words.txt")


# ---- downloads and colours ---------------------------------------------------------------------


def test_cli_writes_one_tune_as_midi_and_wav_of_the_same_notes(tmp_path):
    from tests.helpers.cli import run_cli

    midi, wav = tmp_path / "tune.mid", tmp_path / "tune.wav"
    for seed in range(6):  # a sampled tune may not play; the CLI then says so and writes nothing
        args = ["--model", "folk-abc", "--length", "300", "--seed", str(seed), "--json"]
        result = run_cli("generate", *args, "--midi", str(midi), "--wav", str(wav))
        if result.returncode == 0:
            break
        assert "does not play" in result.stderr and not midi.exists()
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["written"] == [str(midi), str(wav)] and row["plays"]
    assert midi.read_bytes()[:4] == b"MThd" and wav.read_bytes()[:4] == b"RIFF"
    assert wav_seconds(wav.read_bytes()) >= midi_seconds(midi.read_bytes()) - 0.05


def test_probability_colours_come_from_the_cividis_scale_with_readable_text():
    from plotly.colors import sample_colorscale, unlabel_rgb

    from core.plots import generation as plots

    for p in [i / 20 for i in range(21)]:
        background, text = plots.probability_color(p)
        expected = tuple(round(c) for c in unlabel_rgb(sample_colorscale("Cividis", [p])[0]))
        assert background == expected
        assert plots.contrast(background, text) >= 4.5  # WCAG AA for body text
    assert plots.probability_color(0.0)[0] == (0, 34, 78) and plots.probability_color(1.0)[0] == (254, 232, 56)
    html = plots.colored_text_html("a\n", [0.0, 1.0])
    assert "background:rgb(0, 34, 78);color:rgb(255, 255, 255)" in html
    assert "background:rgb(254, 232, 56);color:rgb(0, 0, 0)" in html
