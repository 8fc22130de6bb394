import json

import pytest
import torch

from core.cli import main
from core.errors import UserError
from core.plots.varlen import CUT, PAD, TOKEN
from core.varlen import batching, correctness, cost, measured, sources, unrolling, views
from tests.helpers.cli import run_cli_process

SEQS = [[5, 6, 7, 8, 9], [1, 2], [3, 4, 3], [7]]


def test_pad_post_and_pre():
    post = batching.pad(SEQS, value=0, side="post")
    assert post.tolist()[1] == [1, 2, 0, 0, 0]
    pre = batching.pad(SEQS, value=9, side="pre", length=6)
    assert pre.tolist()[3] == [9, 9, 9, 9, 9, 7]
    with pytest.raises(ValueError, match="truncate first"):
        batching.pad(SEQS, length=3)


@pytest.mark.parametrize("side", batching.SIDES)
def test_mask_marks_exactly_the_real_tokens(side):
    lengths = [len(s) for s in SEQS]
    valid = batching.mask(lengths, 5, side)
    grid = batching.pad(SEQS, value=-1, side=side)
    assert valid.sum(1).tolist() == lengths
    assert (grid[valid] != -1).all() and (grid[~valid] == -1).all()


def test_truncate_keeps_the_chosen_end():
    assert batching.truncate(SEQS, 2, "post")[0] == [5, 6]
    assert batching.truncate(SEQS, 2, "pre")[0] == [8, 9]
    assert batching.truncate(SEQS, 2, "pre")[3] == [7]
    with pytest.raises(UserError):
        batching.truncate(SEQS, 0)


def test_padding_fraction():
    assert batching.padding_fraction([5, 2, 3, 1]) == pytest.approx(1 - 11 / 20)
    assert batching.padding_fraction([4, 4]) == 0.0


def test_pack_layout_matches_pytorch_and_holds_every_token_once():
    layout = batching.pack_layout(SEQS)
    assert layout.batch_sizes == [4, 3, 2, 1, 1]
    assert sum(layout.batch_sizes) == sum(len(s) for s in SEQS)
    assert layout.sorted_indices == [0, 2, 1, 3]
    for slot, row in enumerate(layout.sorted_indices):
        assert [t for t in layout.grid[slot] if t is not None] == SEQS[row]
    positions = sorted(p for row in layout.data_order for p in row if p is not None)
    assert positions == list(range(sum(layout.batch_sizes)))


def test_buckets_partition_sorted_and_pad_less():
    lengths = [9, 1, 5, 2, 8, 3, 7, 4]
    groups = batching.buckets(lengths, 3)
    flat = [i for g in groups for i in g]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)
    assert batching.bucketed_padding_fraction(lengths, groups) < batching.padding_fraction(lengths)
    assert batching.bucketed_padding_fraction(lengths, batching.buckets(lengths, len(lengths))) == 0.0


def test_make_batch_caps_with_a_notice_and_is_seeded():
    batch = batching.make_batch("uniform", 10_000, 9_999, seed=1)
    assert len(batch.sequences) == batching.MAX_BATCH
    assert max(batch.lengths) <= batching.MAX_LEN
    assert len(batch.notices) == 2 and "cap of 128" in batch.notices[0]
    assert (
        batching.make_batch("long-tailed", 8, 50, 3).sequences == batching.make_batch("long-tailed", 8, 50, 3).sequences
    )
    with pytest.raises(UserError, match="choose one of"):
        batching.make_batch("zipf", 8)


def test_long_tailed_batches_are_mostly_padding():
    lengths = batching.make_batch("long-tailed", 64, 200, 0).lengths
    assert batching.padding_fraction(lengths) > 0.5
    assert min(lengths) >= 1


def test_real_lengths_come_from_the_app_datasets():
    dates = batching.make_batch("dates", 16, seed=0)
    assert len(dates.sequences) == 16 and all(1 <= n < 60 for n in dates.lengths)
    assert any("," in t or " " in t for t in sources.texts("dates")[:20])
    with pytest.raises(UserError):
        sources.texts("poems")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no sequences typed"),
        ("  \n \n", "no sequences typed"),
        ("1 2 x", "'x' is not a token id"),
        ("1.5 2", "'1.5' is not a token id"),
        ("-3 2", "'-3' is not a token id"),
        ("1 2000", "above 999"),
        (" ".join(["1"] * 201), "at most 200 per sequence"),
        ("\n".join(["1 2"] * 33), "at most 32 are accepted"),
    ],
)
def test_parse_sequences_rejects_bad_input(text, message):
    with pytest.raises(UserError, match=message):
        batching.parse_sequences(text)


def test_parse_sequences_accepts_spaces_and_commas():
    assert batching.parse_sequences("3, 1 4\n\n 1,5 ").sequences == [[3, 1, 4], [1, 5]]
    with pytest.raises(UserError, match="must be text"):
        batching.parse_sequences(b"1 2")


def test_correctness_packed_and_masked_agree_unmasked_post_does_not():
    batch = batching.make_batch("long-tailed", 12, 40, seed=2)
    result = correctness.check(batch.sequences, pad_value=0)
    diffs = result["max_abs_diff"]
    for name in ("packed", "padded + masked (post)", "padded + masked (pre)"):
        assert max(diffs[name].values()) < 1e-5, name
    # post-padding without a mask: outputs at real positions still right, final state wrong
    assert diffs["padded, no mask (post)"]["outputs"] < 1e-5
    assert diffs["padded, no mask (post)"]["h"] > 1e-2
    assert diffs["padded, no mask (pre)"]["outputs"] > 1e-2
    longest = max(batch.lengths)
    for row in result["per_sequence"]:
        if row["length"] == longest:
            assert row["post_h_error"] < 1e-5  # read no pads
        else:
            assert row["post_h_error"] > 0


def test_pad_value_collision_is_reported():
    assert correctness.check([[0, 1], [2]], pad_value=0)["pad_value_is_a_real_token"]
    assert not correctness.check([[3, 1], [2]], pad_value=0)["pad_value_is_a_real_token"]


def test_views_count_the_same_padding_as_batching():
    lengths = [len(s) for s in SEQS]
    assert views.padding_view(SEQS).padding_fraction == pytest.approx(batching.padding_fraction(lengths))
    groups = batching.buckets(lengths, 2)
    assert views.bucket_view(SEQS, 2).padding_fraction == pytest.approx(
        batching.bucketed_padding_fraction(lengths, groups)
    )
    for side in batching.SIDES:
        grid = views.truncation_view(SEQS, 3, side)
        kinds = [k for row in grid.kinds for k in row]
        assert kinds.count(CUT) == 2 and kinds.count(TOKEN) == 9 and kinds.count(PAD) == 3
        assert len(grid.x) == len(grid.tokens[0]) == 5
    assert views.truncation_view(SEQS, 3, "pre").x[0] == -2


def test_cost_measures_every_strategy():
    lengths = [30, 2, 3, 4, 2, 5, 3, 2]
    costs = cost.measure(lengths, hidden=8, input_size=4, repeats=1, n_buckets=2)
    assert [c.strategy for c in costs] == list(cost.STRATEGIES)
    by = {c.strategy: c for c in costs}
    assert by["naive padding"].cells == 8 * 30 and by["packing"].cells == sum(lengths)
    assert by["packing"].padding_fraction == 0.0
    assert by["packing"].saved_bytes < by["naive padding"].saved_bytes
    assert set(cost.speedups(costs)) == set(cost.STRATEGIES)


def test_packed_and_padded_losses_are_the_same_number():
    torch.manual_seed(0)
    model = cost.CharLM(vocab=10, embed=4, hidden=8)
    batch = [[1, 2, 3, 4, 5, 6], [7, 8], [9, 1, 2]]
    naive = model.loss("naive padding", batch)
    assert model.loss("packing", batch).item() == pytest.approx(naive.item(), abs=1e-5)


def test_training_speed_smoke():
    sequences = [[1 + (i * j) % 9 for j in range(2 + i % 7)] for i in range(16)]
    runs = cost.training_speed(sequences, vocab=10, batch_size=4, steps=2, hidden=8)
    assert [r["strategy"] for r in runs] == list(cost.STRATEGIES)
    assert all(r["steps"] == 2 and r["seconds_per_step"] > 0 for r in runs)
    assert runs[2]["padding_fraction"] <= runs[0]["padding_fraction"]


def test_static_and_dynamic_equal_packed_and_the_static_graph_grows_linearly():
    points = [unrolling.measure_point(t, batch_size=4, hidden=8, input_size=4, repeats=1) for t in (5, 10, 15)]
    assert all(p.max_abs_diff < 1e-5 for p in points)
    nodes = [p.static_nodes for p in points]
    assert nodes[1] - nodes[0] == nodes[2] - nodes[1] > 0
    assert len({p.packed_nodes for p in points}) == 1
    assert all(p.dynamic_seconds > 0 and p.dynamic_saved_bytes > 0 for p in points)


def test_dynamic_loop_with_lengths_copies_state_through_and_zeroes_outputs_past_each_end():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 5, batch_first=True)
    lengths = [6, 2, 4, 1]
    x = torch.randn(4, 9, 3)  # padded beyond the longest: the loop stops at max(lengths)
    with torch.no_grad():
        out, h, c = unrolling.run_dynamic(lstm, x, lengths)
        packed_out, packed_h, packed_c = unrolling.run_packed(lstm, x, lengths)
    assert out.shape == (4, 6, 5)
    assert torch.allclose(h, packed_h, atol=1e-6) and torch.allclose(c, packed_c, atol=1e-6)
    padded = torch.nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True)[0]
    assert torch.allclose(out, padded, atol=1e-6)  # pad_packed_sequence also fills 0 past each end
    for row, n in enumerate(lengths):
        assert torch.all(out[row, n:] == 0)
        assert torch.equal(h[row], out[row, n - 1])  # the state stopped moving at the sequence's end


def test_longer_input_is_silently_truncated_by_the_static_graph():
    result = unrolling.longer_than_t(steps=6, length=12)
    assert result["static_vs_truncated_h_diff"] < 1e-5
    assert result["static_vs_full_h_diff"] > 1e-3
    with pytest.raises(UserError):
        unrolling.longer_than_t(steps=6, length=6)
    with pytest.raises(UserError, match="T must be in"):
        unrolling.build_static(torch.nn.LSTM(2, 2), unrolling.MAX_T + 1)


def test_cli_json_reports_fractions_diffs_and_ratios():
    result = run_cli_process("varlen", "--json", "--batch-size", "8", "--max-len", "30", "--repeats", "1")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert 0 < report["batch"]["padding_fraction"] < 1
    assert report["max_abs_diff"]["packed"]["h"] < 1e-5
    assert set(report["speedup_vs_naive_padding"]) == set(cost.STRATEGIES)
    assert report["measured"]["command"].startswith("python -m core varlen --distribution long-tailed --batch-size 8")
    assert report["measured"]["cores"] >= 1 and report["measured"]["torch"] == torch.__version__


def test_cli_text_says_when_and_where_it_measured(capsys):
    threads = torch.get_num_threads()
    try:
        assert main(["varlen", "--batch-size", "4", "--max-len", "10", "--repeats", "1"]) == 0
    finally:
        torch.set_num_threads(threads)  # the command sets --threads for the whole process
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("measured ") and " cores, 1 torch thread" in first


def test_shipped_measurements_say_when_how_and_where():
    shipped = measured.load()
    assert shipped["measured"]["command"].startswith("python -m core varlen")
    line = measured.provenance(shipped)
    assert line.startswith("Stored measurement from 20") and "`python -m core varlen" in line
    assert measured.machine({}) == "an unrecorded machine"
    assert "not recorded" in measured.provenance({})
    assert measured.load(measured.PATH.with_name("missing.json")) == {}


def test_unrolling_summary_compares_from_the_first_t_that_holds_the_batch():
    def point(t, longest, seconds):
        return dict(
            T=t,
            static_nodes=27 * t + 12,
            static_build_seconds=t / 100,
            batch_size=4,
            batch_max_length=longest,
            real_cells=10,
            max_abs_diff=1e-7,
            static_seconds=seconds,
            dynamic_seconds=2.0,
            packed_seconds=1.0,
        )

    s = measured.unrolling_summary([point(10, 10, 1.0), point(20, 15, 2.0), point(40, 15, 8.0)])
    assert s["fits"]["T"] == 20 and s["time_ratio"]["static"] == 4.0 and s["time_ratio"]["packed"] == 1.0
    assert s["nodes_per_step"] == 27 and s["build_ratio"] == 4.0
    assert s["dynamic_cells"] == 4 * 15 and s["packed_cells"] == 10 and s["dynamic_vs_packed"] == 2.0
    assert measured.padding_summary({}) is None
    assert measured.padding_summary(measured.load())["saved_mb"]["packing"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sequences", "1 2 x"], "is not a token id"),
        (["--sequences", ""], "no sequences typed"),
        (["--pad-value", "5000"], "--pad-value must be in"),
        (["--unroll", "0,10"], "--unroll values must be in"),
        (["--unroll", "ten"], "comma-separated whole numbers"),
        (["--distribution", "zipf"], "invalid choice"),
        (["--repeats", "0"], "--repeats is out of range"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, message, capsys):
    # in-process through core.cli.main: the same parser and error path as `python -m core`, minus a torch import
    try:
        code = main(["varlen", *args])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err and "Traceback" not in err


def test_outputs_stop_at_eos_vs_fixed_length_on_a_shipped_translator():
    from core import checkpoints
    from core.varlen import outputs

    assert "dates-iso" in outputs.available_models()
    result = outputs.compare(checkpoints.load("dates-iso"), count=4)
    eos, fixed, beam = (result["runs"][k] for k in outputs.METHODS)
    ten = result["runs"][outputs.fixed_length_label(10)]  # ISO dates are always 10 characters: no EOS needed
    assert ten["decoder_steps"] == 10 and ten["ended_with_eos"] == 0.0 and ten["exact"] == eos["exact"]
    assert eos["exact"] >= 0.75 and beam["exact"] >= 0.75  # held-out quality of the shipped model
    assert eos["ended_with_eos"] == 1.0 and fixed["ended_with_eos"] == 0.0
    assert fixed["decoder_steps"] == result["max_len"] > eos["decoder_steps"]
    assert fixed["exact"] < eos["exact"]  # decoding past EOS appends junk to the answer
    assert eos["lengths"] == result["reference_lengths"]
    with pytest.raises(UserError):
        outputs.compare(None, count=0)


def test_measurements_export_as_csv_with_their_source():
    import csv
    import io

    from core.varlen import export, measured

    shipped = measured.load()
    live = {**shipped["unrolling"][0], "T": 7, "source": "measured live on this server"}
    text = export.rows_csv([*shipped["unrolling"], live], export.source_of(shipped))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(shipped["unrolling"]) + 1
    assert list(rows[0])[-1] == "source" and list(rows[0]).count("source") == 1
    assert float(rows[0]["static_seconds"]) == shipped["unrolling"][0]["static_seconds"]
    assert rows[0]["source"].startswith("stored measurement, " + shipped["measured"]["measured_at"])
    assert "python -m core varlen" in rows[0]["source"]
    assert rows[-1]["T"] == "7" and rows[-1]["source"] == "measured live on this server"
    cost = list(csv.DictReader(io.StringIO(export.rows_csv(shipped["cost"], "x"))))
    assert [r["strategy"] for r in cost] == [c["strategy"] for c in shipped["cost"]]
