import itertools

import pytest
import torch

from core import decoding
from tests.unit.toy_models import ToyConfig, ToyDecoder

EOS, BOS = 0, 1


@pytest.fixture(scope="module")
def toy():
    torch.manual_seed(3)
    model = ToyDecoder(ToyConfig()).eval()
    # Three rows of random memory, lengths 5, 3 and 4: rows attend over different spans, so they decode differently.
    memory = torch.randn(3, 5, 16)
    lengths = torch.tensor([5, 3, 4])
    return model, memory, lengths


def run_beam(model, memory, lengths, rows, **kw):
    state = model.initial_state(memory[rows], lengths[rows])
    start = torch.full((len(rows),), BOS)
    with torch.no_grad():
        return decoding.beam_search(model.step, state, start, eos_id=EOS, **kw)


def test_beam_width_one_equals_greedy(toy):
    model, memory, lengths = toy
    with torch.no_grad():
        state = model.initial_state(memory, lengths)
        greedy = decoding.greedy(model.step, state, torch.full((3,), BOS), max_len=12, eos_id=EOS)
    beam = run_beam(model, memory, lengths, [0, 1, 2], max_len=12, beam_size=1, alpha=0.0)
    for g, b in zip(greedy, beam):
        assert b.hypotheses[0].tokens == g.tokens
        assert b.hypotheses[0].score == pytest.approx(g.score, abs=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_batched_equals_unbatched(toy, alpha):
    model, memory, lengths = toy
    batched = run_beam(model, memory, lengths, [0, 1, 2], max_len=12, beam_size=4, alpha=alpha, n_best=3)
    for row in range(3):
        alone = run_beam(model, memory, lengths, [row], max_len=12, beam_size=4, alpha=alpha, n_best=3)[0]
        assert [h.tokens for h in alone.hypotheses] == [h.tokens for h in batched[row].hypotheses]
        for a, b in zip(alone.hypotheses, batched[row].hypotheses):
            assert a.score == pytest.approx(b.score, abs=1e-4)


def test_scores_equal_teacher_forced_rescoring(toy):
    model, memory, lengths = toy
    results = run_beam(model, memory, lengths, [0, 1, 2], max_len=12, beam_size=5, alpha=0.6, n_best=5)
    for row, result in enumerate(results):
        for hyp in result.hypotheses:
            with torch.no_grad():
                state = model.initial_state(memory[[row]], lengths[[row]])
                rescored = decoding.teacher_forced_score(model.step, state, torch.tensor([BOS]), hyp.tokens)
            assert hyp.score == pytest.approx(rescored, abs=1e-4)
            assert hyp.normalized_score == pytest.approx(hyp.score / decoding.length_penalty(len(hyp.tokens), 0.6))


def test_nbest_unique_sorted_and_finished_never_extended(toy):
    model, memory, lengths = toy
    for result in run_beam(model, memory, lengths, [0, 1, 2], max_len=12, beam_size=6, alpha=0.6, n_best=6):
        tokens = [tuple(h.tokens) for h in result.hypotheses]
        assert len(set(tokens)) == len(tokens)
        norms = [h.normalized_score for h in result.hypotheses]
        assert norms == sorted(norms, reverse=True)
        for h in result.hypotheses:
            assert EOS not in h.tokens[:-1]
            assert h.finished == (h.tokens[-1] == EOS)


def test_beam_finds_at_least_greedy_score(toy):
    model, memory, lengths = toy
    with torch.no_grad():
        greedy = decoding.greedy(model.step, model.initial_state(memory, lengths), torch.full((3,), BOS), 12, EOS)
    beam = run_beam(model, memory, lengths, [0, 1, 2], max_len=12, beam_size=8, alpha=0.0)
    for g, b in zip(greedy, beam):
        if g.finished:
            assert b.hypotheses[0].score >= g.score - 1e-5


def test_attention_rows_sum_to_one_and_ignore_padding(toy):
    model, memory, lengths = toy
    result = run_beam(model, memory, lengths, [1], max_len=12, beam_size=3)[0]
    attention = result.hypotheses[0].attention  # (T, S)
    assert attention.shape == (len(result.hypotheses[0].tokens), 5)
    assert torch.allclose(attention.sum(-1), torch.ones(attention.size(0)), atol=1e-5)
    assert attention[:, 3:].abs().max() == 0  # row 1 has length 3


def test_beam_tree_records_kept_pruned_and_finished(toy):
    model, memory, lengths = toy
    tree = run_beam(model, memory, lengths, [0], max_len=12, beam_size=3, alpha=0.6, record_tree=True)[0].tree
    assert {node.status for node in tree} >= {"kept", "pruned"}
    ids = {node.id for node in tree}
    assert all(node.parent == -1 or node.parent in ids for node in tree)
    assert [n for n in tree if n.step == 0 and n.status == "kept"].__len__() == 3


def test_filter_logits_top_k_top_p_and_temperature():
    logits = torch.tensor([[4.0, 3.0, 2.0, 1.0, 0.0]])
    assert torch.isinf(decoding.filter_logits(logits, top_k=2)[0, 2:]).all()
    kept = decoding.filter_logits(logits, top_p=0.9).isfinite()[0].tolist()
    probs = logits.softmax(-1)[0]
    assert kept == [True, True, probs[:2].sum() < 0.9, False, False]
    assert decoding.filter_logits(logits, top_p=1e-6).isfinite().sum() == 1  # the top token always survives
    hot, cold = decoding.filter_logits(logits, temperature=2.0).exp(), decoding.filter_logits(logits, 0.5).exp()
    assert hot[0, 0] < probs[0] < cold[0, 0]
    with pytest.raises(ValueError):
        decoding.filter_logits(logits, temperature=0)


def test_sampling_is_seeded_and_scored_under_the_model(toy):
    model, memory, lengths = toy

    def draw(seed):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            state = model.initial_state(memory, lengths)
            return decoding.sample(model.step, state, torch.full((3,), BOS), 12, EOS, temperature=1.2, generator=g)

    a, b = draw(5), draw(5)
    assert [h.tokens for h in a] == [h.tokens for h in b]
    assert any(x.tokens != y.tokens for x, y in itertools.product(a, draw(6)))
    with torch.no_grad():
        rescored = decoding.teacher_forced_score(
            model.step, model.initial_state(memory[[0]], lengths[[0]]), torch.tensor([BOS]), a[0].tokens
        )
    assert a[0].score == pytest.approx(rescored, abs=1e-4)


# ---- no-repeat n-gram blocking ------------------------------------------------------------------

LOOP = [2, 3, 4]  # the looping "model" below always prefers the next token of this cycle


def looping_step(tokens, state):
    """Prefers LOOP[(i + 1) % 3] after LOOP[i] (and LOOP[0] after anything else): greedy loops forever."""
    logits = torch.zeros(tokens.size(0), 7)
    for row, token in enumerate(tokens.tolist()):
        following = LOOP[(LOOP.index(token) + 1) % 3] if token in LOOP else LOOP[0]
        logits[row, following] = 5.0
        logits[row, 5] = 4.0  # a runner-up, so blocking has something to choose
    return logits, state, None


def ngrams(tokens, n):
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def test_greedy_loops_and_ngram_blocking_stops_it():
    start = torch.tensor([BOS])
    looped = decoding.greedy(looping_step, None, start, 12, EOS)[0].tokens
    assert looped == (LOOP * 4)[:12]
    blocked = decoding.greedy(looping_step, None, start, 12, EOS, no_repeat_ngram=3)[0].tokens
    grams = ngrams([BOS, *blocked], 3)
    assert len(grams) == len(set(grams)) and blocked != looped


@pytest.mark.parametrize("n", [2, 3])
def test_beam_and_sampling_never_repeat_a_blocked_ngram(n):
    start = torch.tensor([BOS, BOS])
    beam = decoding.beam_search(looping_step, None, start, 10, EOS, beam_size=3, n_best=3, no_repeat_ngram=n)
    sampled = decoding.sample(
        looping_step, None, start, 10, EOS, generator=torch.Generator().manual_seed(0), no_repeat_ngram=n
    )
    for tokens in [h.tokens for r in beam for h in r.hypotheses] + [h.tokens for h in sampled]:
        grams = ngrams([BOS, *tokens], n)
        assert len(grams) == len(set(grams)), tokens


def test_blocking_keeps_scores_under_the_model():
    hyp = decoding.beam_search(looping_step, None, torch.tensor([BOS]), 8, EOS, beam_size=2, no_repeat_ngram=2)[0]
    best = hyp.hypotheses[0]
    assert best.score == pytest.approx(
        decoding.teacher_forced_score(looping_step, None, torch.tensor([BOS]), best.tokens)
    )


def test_default_leaves_results_unchanged(toy):
    model, memory, lengths = toy
    with torch.no_grad():
        state = model.initial_state(memory, lengths)
        start = torch.full((3,), BOS)
        plain = decoding.greedy(model.step, state, start, 12, EOS)
        off = decoding.greedy(model.step, state, start, 12, EOS, no_repeat_ngram=0)
        g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
        drawn = decoding.sample(model.step, state, start, 12, EOS, 0.8, 3, 0.9, g1)
        drawn_off = decoding.sample(model.step, state, start, 12, EOS, 0.8, 3, 0.9, g2, no_repeat_ngram=0)
    assert [h.tokens for h in plain] == [h.tokens for h in off]
    assert [h.tokens for h in drawn] == [h.tokens for h in drawn_off]
    for h, row in zip(plain, range(3)):  # greedy is still the model's argmax at every step
        with torch.no_grad():
            step_state, current = model.initial_state(memory[[row]], lengths[[row]]), torch.tensor([BOS])
            for token in h.tokens:
                logits, step_state, _ = model.step(current, step_state)
                assert int(logits.argmax(-1)) == token
                current = torch.tensor([token])
    a = run_beam(model, memory, lengths, [0, 1, 2], max_len=12, beam_size=4, n_best=2)
    b = run_beam(model, memory, lengths, [0, 1, 2], max_len=12, beam_size=4, n_best=2, no_repeat_ngram=0)
    assert [[h.tokens for h in r.hypotheses] for r in a] == [[h.tokens for h in r.hypotheses] for r in b]
