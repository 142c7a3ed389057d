# Grouped bars, one chart: see bars-panel.gp for the variables.
load tpldir . 'common.gp'
showkey = 1
paneltitle = ''
# Turned labels reach left of the plot: room for the first one (0: automatic).
if (lmarginpx > 0) { set lmargin at screen lmarginpx / (width * 1.0) }
load tpldir . 'bars-panel.gp'
set output
