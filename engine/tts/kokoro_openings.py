"""How Kokoro's Mandarin replies open: the piece plans and pacing of ``tts.voices.zh.opening``.

Kokoro is slow for a streamed voice on 2 cores: every run also renders ~0.4 s of silence
before its speech and ~0.5-1 s after it (:mod:`engine.tts.kokoro`), so a piece costs a fixed
~0.3 s of CPU beyond its words, and a short opening clause plays for less than the next clause
takes to make. Where the reply then waits (measured in the server, language ``zh``, the
reply 抱歉，这个问题我暂时无法办理。需要我为您呼叫工作人员吗？ in 16 of 16 turns): 抱歉， (weight 7)
is made in 0.34-0.71 s and plays 0.66 s; 这个问题我暂时无法办理。 (weight 34) is made only after
it, in 0.94-1.45 s while the avatar starts speaking, so the visitor heard 0.3-0.8 s of silence
after 抱歉，; the third piece (weight 37, 0.85-0.95 s to make) was ready 0.1-0.9 s before the
second ended, and the voice's own pauses are cut to 140 / 260 ms (:mod:`engine.audio.pauses`).
The three openings trade that silence against the first audio:

* ``first_clause`` (the default): the first clause alone, then pieces growing 2.5x up to whole
  sentences, the first piece held back until the rest is predicted to come in time
  (:func:`engine.tts.pacing.opening_hold_s`, from how long the first piece took to make);
* ``eager``: the same pieces, never held: the first audio soonest, a stall after the opening
  clause on a slow CPU;
* ``paced``: clauses grouped so that each piece is made before the audio ahead of it runs out
  (:func:`engine.tts.pacing.pace_pieces`): no stall, the first audio latest (the first piece
  is the opening clause and the next one, made together).
"""

from __future__ import annotations

from engine.tts.pacing import Pace
from engine.tts.sentences import SplitConfig

#: Kokoro's pace in the server on 2 cores (:mod:`engine.tts.pacing`; spoken weight, 3 per Han
#: character, ~57 ms heard per weight): a piece of weight w takes ~0.6 * (w + 20) weights of
#: time to make (抱歉， w 7 in ~0.8 s; 这个问题我暂时无法办理。 w 34 in 1.5-1.9 s while the first
#: piece played, with the export's own decoder) and is heard for ~w + 3 once its silences are
#: shortened (0.66 and 2.14 s).
ZH_PACE = Pace(ratio=0.6, overhead=20.0, heard_extra=3.0, max_weight=150)
#: Kokoro's pace for holding the first piece (only ratios count: the speed is measured on the
#: first piece). Alone (static decoder, CPU time) a run costs ~0.25 s + 15 ms per weight:
#: 抱歉， (w 7) 0.35 s, 这个问题 (w 12) 0.51 s, 我暂时无法办理。 (w 24) 0.59 s, the whole clause
#: (w 34) 0.75 s: overhead ~20 weights as in :data:`ZH_PACE`, (34 + 20) / (7 + 20) = 2.0x. In
#: the server (85 replies opening 抱歉，, load 1-12) the second piece took 2.2-2.5x as long as
#: the first at the median and 2.7-2.9x at the 80th percentile: made while the reply starts to
#: play, 1.35x slower than the first piece predicts (the hold covers ~4 replies in 5 on a
#: shared machine); the third (w 37, 0.85-0.95 s) ~2.0x, as the pace predicts. Heard: 2.14 s
#: for w 34 and 2.10 s for w 37, ~55 ms per weight with 3 weights of pauses.
#: Since the decoder renders 8 units of a piece's last phoneme instead of ~29
#: (:data:`engine.tts.kokoro.TAIL_UNITS`) a run's fixed cost is smaller: CPU per piece over the
#: packs' 47 pieces x 2, fitted a + b * w, went from 253 ms + 20.0 ms per weight (overhead 12.6
#: weights) to 153 ms + 19.2 ms (8.0), shared machine, same run; the overhead here is scaled
#: alike, 20 -> 13, so a long second piece after a short first one is not predicted cheaper
#: than it now is (抱歉， -> 这个问题我暂时无法办理。: 2.0x -> 2.35x before the slowdown).
#: Refit for the default speaker zm_yunxi (``benchmarks/kokoro_pace.py``: the packs' templates
#: 1-3::4, 69 replies, made unheld piece by piece, under load 9-14): its pieces are heard ~60 ms
#: per weight with 2.2 weights of pauses (least squares over their 174 pieces; zf_xiaoyi's
#: 55 ms and 3 said 2.92 s for a w 50 piece heard 3.22 s), so a join after the second piece has
#: more audio ahead of it than the pace before said. The cost ratio still fits: the second
#: piece's make time over the one predicted from the first with overhead 13 had a median of
#: 0.95-0.99 (overhead 10: 0.92-0.95, 20: 1.05-1.06; two runs of 93 replies) and 80th / 90th
#: percentiles 1.19-1.21 / 1.29-1.34 with nothing else in the process: the 1.35 covers the
#: spread of make times on a shared machine as much as the server's start. Taken as a slowdown
#: only after the first piece plays (the second piece made at full speed while held, so a
#: two-piece hold / 1.35), the hold left 5 of 24 replies with a silence >= 200 ms in their
#: first 1.5 s against 1 of 24 (same run, interleaved, under load ~11): not kept.
#: Tried and not kept: sizing a piece's cost by its phoneme tokens
#: (:meth:`engine.tts.kokoro.KokoroTTS.token_count`, the model's input length) instead of its
#: weight. In CPU time the tokens predict the second piece a little better
#: (``benchmarks/kokoro_pace.py``, under load 9-15: overhead 19.6 tokens; measured / predicted
#: 80th / 90th percentile 1.10 / 1.15 against 1.14 / 1.19 by weight + 13), but streamed and
#: played, interleaved reply by reply over the 30 replies of the intelligibility sample, the
#: token-sized hold let more replies stall: a silence >= 200 ms in the first 1.5 s in 3 / 2 / 7
#: of 30 against 2 / 3 / 4 (load 12-20, 6-19, 6-8), and with a 1.4 slowdown 3 against 1 (load
#: 3-4), for first audio medians within -12 % / +4 % of the weight-sized hold's.
ZH_HOLD_PACE = Pace(ratio=0.6, overhead=13.0, heard_extra=2.2, weight_s=0.06, start_slowdown=1.35)
#: The opening ``paced``: clauses grouped so each piece is made before the audio ahead of it
#: runs out (a short opening clause alone left ~1 s of silence after it).
PACED_SPLIT = SplitConfig(pace=ZH_PACE)
#: The openings ``first_clause`` and ``eager``: the first clause alone, then pieces growing
#: 2.5x up to whole sentences.
FIRST_CLAUSE_SPLIT = SplitConfig(first_max_weight=21, max_weight=150, growth=2.5)
#: Tried and not kept (session 18, branch zhfirst18-short-first): the first piece cut again
#: at the first jieba word boundary after >= 5 Han characters (not before 的/了/吗…, >= 3
#: left in the clause; 很抱歉给您 | 带来不便。, 您2024年度的个人所得税 | 汇算…), held as before. Streamed
#: interleaved with this plan in one process (``benchmarks/tts.py --compare-openings``, the
#: test's 34 replies, under load ~11-18): first audio paired median only 0.93x, silences
#: >= 200 ms in the first 1.5 s 2 vs 2, >= 350 ms anywhere 24 vs 20 (a shorter first piece
#: plays for less, so the hold grows with it); CER of ``benchmarks/zh_speakers.py``'s sample
#: (87 replies, zm_yunxi, range 1.6) 4.8 -> 5.1 %, replies over 15 % 0 -> 2, both cut ones
#: (冻结 heard 动结，, 所得税 | 汇算 heard 所得睡，会算: the cut is heard as a pause).
#: Piece plans by opening name.
OPENINGS: dict[str, SplitConfig] = {
    "paced": PACED_SPLIT,
    "first_clause": FIRST_CLAUSE_SPLIT,
    "eager": FIRST_CLAUSE_SPLIT,
}
#: The pace the first piece is held by, per opening (None: never held).
HOLDS: dict[str, Pace | None] = {"paced": None, "first_clause": ZH_HOLD_PACE, "eager": None}
#: The opening a voice gets unless told otherwise (``tts.voices.<lang>.opening``'s default).
DEFAULT_OPENING = "first_clause"
