# Panels of lines stacked over one x axis (the footprint chart: PSS, RSS and private
# memory per process against the number of processes).
#
#   npanels     panels; panelvars . '-' . p . '.gp' sets each panel's variables for
#               lines-panel.gp (data, nlines, ltitle, ..., ylabel, ylog, ymin, ymax,
#               nytic, paneltitle); the first panel holds the legend
#   categorical, jitter, logx, xmin, xmax, nxtic, xticlabel[i], xticpos[i]  the shared x
#               axis (only the lowest panel shows its labels, and panelxlabel under them)
#   keyrows     rows of the legend, which goes under the panels (in the room below
#               mbottom), column by column
#   mleft, mright, mbottom, mtop  panel area, in screen fractions
load tpldir . 'common.gp'
unset title
set multiplot layout npanels, 1 title title . "\n" . subtitle \
    margins mleft, mright, mbottom, mtop spacing 0, 0.035
set key at screen 0.5, screen 0.01 center bottom vertical maxrows keyrows samplen 2.5 \
    width 1
ratioline = 0
do for [p=1:npanels] {
    load panelvars . '-' . p . '.gp'
    showxtics = p == npanels
    showkey = p == 1
    xlabel = p == npanels ? panelxlabel : ''
    load tpldir . 'lines-panel.gp'
}
unset multiplot
set output
