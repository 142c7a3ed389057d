# Kernel behaviour per workload and backend: panels of grouped bars stacked over one
# x axis (faults and device bytes read per operation, read and write amplification).
#
#   npanels     panels; panelvars . '-' . p . '.gp' sets each panel's variables for
#               bars-panel.gp (data, ylabel, ylog, ymin, ymax, nseries, stitle, ...,
#               paneltitle); the first panel holds the legend, drawn under the panels
#   nxtic, xticlabel[i], xticpos[i], xrotate, ticlines, ngroups  shared by the panels
#               (only the lowest panel shows the labels, and panelxlabel under them)
#   mleft, mright, mbottom, mtop  panel area, in screen fractions
load tpldir . 'common.gp'
unset title
set multiplot layout npanels, 1 title title . "\n" . subtitle \
    margins mleft, mright, mbottom, mtop spacing 0, 0.035
# The legend goes under the panels (room for it below mbottom), clear of every panel.
set key at screen 0.5, screen 0.01 center bottom horizontal samplen 2 width 1
do for [p=1:npanels] {
    load panelvars . '-' . p . '.gp'
    showxtics = p == npanels
    showkey = p == 1
    xlabel = p == npanels ? panelxlabel : ''
    load tpldir . 'bars-panel.gp'
}
unset multiplot
set output
