# A measurement against a number or a category: one line per series, 95% CI error bars
# where recorded. Used alone (sweep.gp) or as a panel (lines-panels.gp).
#
#   data        tab-separated, one block per line (blocks separated by two blank lines):
#               x, y, CI low, CI high (NaN where there is none)
#   nlines      lines; ltitle[i], lcolor[i], ldash[i] (dash type), lpoint[i] (point type)
#   lhasci[i]   1 if line i has intervals to draw
#   categorical 1: x is a category number (the parameter is not a number): points only,
#               lines side by side (jitter apart)
#   jitter      x shift between lines of a categorical chart
#   logx        1: log2 x axis
#   xmin, xmax  x range; nxtic, xticlabel[i], xticpos[i] its tics ('4KiB' at 4096, ...),
#               nxtic 0 for automatic ones
#   ylog        1: log y axis; ymin, ymax its range; nytic, yticlabel[i], yticpos[i] as
#               for x
#   ratioline   1: a dashed line at 1.0 (ratio charts)
#   xlabel, ylabel
#   paneltitle  text in the upper left corner ('' for none); showkey 0 hides the legend;
#   showxtics   0 hides the x tic labels (upper panels)
shift(i) = categorical ? (i - (nlines + 1) / 2.0) * jitter : 0
# Scales before ranges: a range from 0 on a log scale is refused.
if (logx) { set logscale x 2 } else { unset logscale x }
set xrange [xmin : xmax]
set format x (showxtics ? '% h' : '')
if (nxtic > 0) {
    set xtics ()
    do for [i=1:nxtic] { set xtics add ((showxtics ? xticlabel[i] : '') xticpos[i]) }
} else {
    set xtics autofreq
}
if (ylog) { set logscale y; set mytics default } else { unset logscale y }
set yrange [ymin : ymax]
if (nytic > 0) {
    set ytics ()
    do for [i=1:nytic] { set ytics add (yticlabel[i] yticpos[i]) }
} else {
    set ytics autofreq
}
set grid xtics ytics
set xlabel xlabel
if (showkey) { set key } else { unset key }
unset label 1
if (strlen(paneltitle) > 0) { set label 1 paneltitle at graph 0.01, graph 0.93 left front }
# A legend entry is sized even when its iteration is empty: give those an empty title.
onetext = ratioline ? 'no difference (1.0)' : ''
set ylabel ylabel
plot for [k=1:ratioline] 1 with lines lc rgb '#000000' dt 2 lw 1.5 title onetext, \
     for [i=1:nlines] for [k=1:lhasci[i]] data index (i - 1) \
         using ($1 + shift(i)):3:(0):($4 - $3) with vectors @errorheads lc rgb lcolor[i] \
         lw 1.2 notitle, \
     for [i=1:nlines] for [k=1:1-categorical] data index (i - 1) using 1:2 \
         with linespoints lc rgb lcolor[i] dt ldash[i] pt lpoint[i] ps 1.3 lw 2 \
         title ltitle[i], \
     for [i=1:nlines] for [k=1:categorical] data index (i - 1) using ($1 + shift(i)):2 \
         with points lc rgb lcolor[i] pt lpoint[i] ps 1.6 lw 2 title ltitle[i]
