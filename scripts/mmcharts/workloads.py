"""The report's sections on each workload of a run: its verdicts and why, where its
workers' time went, read and write amplification, the levels its throughput settled at,
the kernel settings it ran under, its kind's figures, its profile (top symbols and, in
report.html, a flame graph of its folded stacks) and its warnings; and the claims."""
import mmresults as mr

from . import flame
from . import text as tx
from .cells import amplification_cell, dash, figure_cell, share_cell
from .document import Code
from .timeline import levels_text

TOP_SYMBOLS = 8   # rows of a profile's table


def read_profiles(results):
    """{(workload, backend): [(frames, count)] or the reason there are none} of every
    profiled summary. A folded file that is missing is a reason; one that is not folded
    stacks raises ResultsError (before anything is written)."""
    stacks = {}
    for w in results.workloads:
        for backend in results.backends:
            s = results.summary(w.name, backend)
            if s and s.profile:
                try:
                    stacks[(w.name, backend)] = results.folded_stacks(s.profile)
                except mr.MissingError as e:
                    stacks[(w.name, backend)] = str(e)
    return stacks


def report_workloads(doc, results, stacks):
    doc.heading(2, "Workloads")
    doc.paragraph("Each workload's verdicts with the measured differences behind them "
                  "(why), where its workers' time went, and what else it recorded; the "
                  "figures are medians over its measured repetitions.")
    for w in results.workloads:
        if w.kind == "claim":
            continue
        block = results.block(w.name)
        doc.heading(3, f"{w.number}. {w.name}")
        if not block:
            doc.paragraph("Not run (the run stopped before it).")
            continue
        about = [f"kind {w.kind}"] + ([w.description] if w.description else [])
        doc.paragraph("; ".join(about) + (" (interrupted during it)" if block.interrupted
                                          else "") + ".")
        facts = [f"Verdict: {c.verdict}" for c in results.comparisons(w.name) if c.verdict]
        if block.explanation:
            facts.append(f"Why: {block.explanation}")
        if block.checksum:
            facts.append(f"Checksums: {block.checksum}")
        settings = list(dict.fromkeys(r.kernel_settings for r in results.runs(w.name)
                                      if r.kernel_settings))
        facts += [f"Kernel settings of its phases: {s}" for s in settings]
        doc.bullets(facts)
        if w.kind == "io":
            time_split(doc, results, w)
            levels(doc, results, w)
        else:
            kind_figures(doc, results, w)
        profiles(doc, results, w, stacks)
        if block.warnings:
            doc.paragraph("Warnings:")
            doc.bullets(list(block.warnings))


def time_split(doc, results, w):
    rows = []
    for backend in results.backends:
        s = results.summary(w.name, backend)
        if not s:
            continue
        rows.append([backend, share_cell(s.user_share), share_cell(s.system_share),
                     share_cell(s.offcpu_share), share_cell(s.runqueue_share),
                     tx.fmt_number(s.syscalls_per_op), tx.fmt_number(s.faults_per_op),
                     tx.fmt_number(s.major_faults_per_op),
                     amplification_cell(s.readahead_amplification, s.task_read_amplification),
                     amplification_cell(s.write_amplification, s.task_write_amplification),
                     f"{s.flush_share_pct:.3g}%" if mr.is_number(s.flush_share_pct) else "—"])
    if rows:
        doc.paragraph("Where the workers' time went (shares of their wall time) and what "
                      "each operation cost; amplification is device bytes per byte read or "
                      "written (system-wide counters), and the workers' own task I/O in "
                      "brackets:")
        doc.table(["backend", "user", "system", "off CPU", "of which waiting for a CPU",
                   "syscalls/op", "faults/op", "major faults/op", "read amplification",
                   "write amplification", "flushing"], rows)


def levels(doc, results, w):
    items = []
    for backend in results.backends:
        s = results.summary(w.name, backend)
        if not s or not s.levels:
            continue
        measured = len([r for r in results.runs(w.name, backend, "measured")
                        if r.status == "ok"])
        text = f"{backend}: {levels_text(s.levels)} ({s.runs_with_levels} of {measured} " \
            f"measured runs changed level"
        text += f"; with the first change: {s.level_change})" if s.level_change else ")"
        items.append(text)
    if any(" until " in item for item in items):
        doc.paragraph("Levels the throughput settled at within a run (its median run; see "
                      "the time series charts):")
        doc.bullets(items)


def kind_figures(doc, results, w):
    summaries = [(b, results.summary(w.name, b)) for b in results.backends]
    summaries = [(b, s) for b, s in summaries if s and s.kind_metrics]
    if not summaries:
        return
    names = list(dict.fromkeys(k for _, s in summaries for k in s.kind_metrics))
    doc.paragraph(f"The figures of kind {w.kind} (docs/file-mappings.md), medians over the "
                  f"measured repetitions:")
    doc.table(["figure"] + [b for b, _ in summaries],
              [[Code(name)] + [figure_cell(name, s.kind_metrics.get(name)) for _, s in summaries]
               for name in names])


def profiles(doc, results, w, stacks):
    profiled = [(b, results.summary(w.name, b)) for b in results.backends]
    profiled = [(b, s) for b, s in profiled if s and s.profile]
    if not profiled:
        return
    doc.paragraph("Profile of the extra profiled round (perf cpu-clock stack samples of the "
                  "workers, and their off-CPU time):")
    rows = []
    for b, s in profiled:
        p = s.profile
        cost = f"{s.profile_cost_pct:.3g}%" if mr.is_number(s.profile_cost_pct) else "—"
        rows.append([b, str(p.samples), share_cell(p.kernel_share), share_cell(p.user_share),
                     tx.fmt_ns(p.offcpu_ns) if p.offcpu_ns else "0",
                     tx.fmt_ns(p.preempted_ns) if p.preempted_ns else "0",
                     str(p.lost_records), cost, Code("/".join(p.folded))])
    doc.table(["backend", "samples", "in the kernel", "in user space", "off CPU",
               "of which preempted", "lost records", "profiler cost", "folded stacks"], rows)
    for b, s in profiled:
        p = s.profile
        columns = (("kernel", p.top_kernel), ("user", p.top_user), ("off-CPU", p.top_offcpu))
        depth = min(TOP_SYMBOLS, max(len(symbols) for _, symbols in columns))
        if depth:
            doc.paragraph(f"{b}: the top symbols (share of the samples; off-CPU: of the "
                          f"off-CPU time)")
            doc.table(["#"] + [f"{what}" for what, _ in columns],
                      [[str(i + 1)] + [symbol_cell(symbols, i) for _, symbols in columns]
                       for i in range(depth)])
        found = stacks.get((w.name, b))
        if isinstance(found, str):
            doc.paragraph(f"{b}: no flame graph: {found}.")
        elif found:
            unit = f"samples of {tx.fmt_ns(p.sample_period_ns)}" if p.sample_period_ns \
                else "samples"
            svg = flame.flame_svg(found, unit, f"{w.name}, {b}: on-CPU stacks and off-CPU "
                                               f"time, in {unit}")
            doc.figure(svg, f"{b}: the flame graph of {'/'.join(p.folded)} is in "
                            f"report.html.")


def symbol_cell(symbols, i):
    if i >= len(symbols):
        return ""
    return Code(f"{symbols[i].name} {100 * symbols[i].share:.1f}%")


def report_claims(doc, results):
    claims = [(w, results.block(w.name)) for w in results.workloads if w.kind == "claim"]
    if not claims:
        return
    doc.heading(2, "Claims")
    doc.paragraph("Each classic claim about file mappings, tested on this kernel and "
                  "filesystem (docs/file-mappings.md): the claim and the evidence of the "
                  "last measured repetition, with the rule applied, its figures, and the "
                  "verdict over the repetitions.")
    doc.table(["#", "claim", "verdict", "repetitions holding / not / inconclusive"],
              [[str(w.number), Code(b.claim.id), b.claim.verdict,
                f"{b.claim.runs_holding} / {b.claim.runs_not_holding} / "
                f"{b.claim.runs_inconclusive}"] if b and b.claim else
               [str(w.number), Code(w.name), "not run", "—"] for w, b in claims])
    for w, block in claims:
        if not (block and block.claim):
            continue
        claim = block.claim
        doc.heading(3, f"{w.number}. {claim.id}: {claim.verdict}")
        doc.paragraph(claim.evidence or "No evidence recorded.")
        if claim.figures:
            doc.table(["figure", "value", "unit"],
                      [[Code(f.name), figure_value(f), dash(f.unit)] for f in claim.figures])
        doc.paragraph(f"Verdict: {claim.verdict} ({claim.runs_holding} of the measured "
                      f"repetitions hold, {claim.runs_not_holding} do not, "
                      f"{claim.runs_inconclusive} inconclusive).")
        if block.warnings:
            doc.bullets(list(block.warnings))


def figure_value(figure):
    if figure.unit == "bool" and figure.value in (0, 1):
        return "yes" if figure.value else "no"
    if figure.unit in ("bytes", "ns", "percent"):
        return figure_cell(figure.name, figure.value, figure.unit)
    return tx.fmt_number(figure.value, 6)
