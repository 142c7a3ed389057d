"""The charts and reports of mmbench runs and comparisons (scripts/plot, scripts/report).

  plot, report     the command lines (scripts/plot and scripts/report call their main)
  throughput, sweeps, latency, kernel, timeline, kinds, compare
                   one module per chart family: the data of each chart
  workloads        the report's sections on each workload of a run, and the claims
  flame            flame graphs of folded stacks, as inline SVG
  cells            values as the report's tables show them
  charts           a set of charts being made: data files, driver scripts, the manifest
  gnuplot          everything gnuplot is given (quoting, variables, data files), running it
  layout           scales, tics, pages and labels; palette: colours of backends and series
  document         Markdown and HTML output, escaped
  outdir           the output directory: writing files, the manifest, the previous charts
  text             cleaning text from results files, number formats

The results themselves are read by scripts/mmresults.py, the only code that knows the
layout of results.json and compare.json.
"""
