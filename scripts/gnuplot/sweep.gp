# A measurement against a swept workload parameter, one chart: see lines-panel.gp for the
# variables.
load tpldir . 'common.gp'
paneltitle = ''
showkey = 1
showxtics = 1
load tpldir . 'lines-panel.gp'
set output
