# Ratios with 95% confidence intervals on a logarithmic y axis, a dashed line at 1.0 (no
# difference): one group per workload (xtics), one point per series. A filled point is a
# significant difference (the interval excludes 1), an open one is not, a cross has no
# interval (fewer than 3 repetitions).
#
#   data        tab-separated: group number, then for each series five columns: ratio,
#               CI low, CI high (NaN where there is none), point type (7, 6 or 2), and
#               the ratio as text ("1.76x"); the group's label last (not read here)
#   ngroups, nseries, stitle[s], scolor[s], shasci[s], anyci, nxtic, xticlabel[i],
#   xticpos[i], xrotate, ticlines, xlabel, ylabel  as in bars-panel.gp
#   ymin, ymax  y range; nytic, yticlabel[i], yticpos[i] its tics ('0.5x' at 0.5, ...)
#   showvalues  1: print each ratio beside its point (few points)
#   keysig, keynonsig, keynoci  1 when the legend needs that marker
#   nocitext    legend text of the marker without an interval
#   lineone     legend text of the line at 1.0
#   showseries  1: a legend entry per series (several series)
load tpldir . 'common.gp'
step = 0.8 / nseries
offset(s) = nseries == 1 ? 0 : (s - (nseries + 1) / 2.0) * step
col(s, k) = 1 + 5 * (s - 1) + k
# Room for at least three groups, so that one or two do not fill the width.
xpad = ngroups < 3 ? (3 - ngroups) / 2.0 : 0
set xrange [0.4 - xpad : ngroups + 0.6 + xpad]
set logscale y
set yrange [ymin : ymax]
set ytics ()
do for [i=1:nytic] { set ytics add (yticlabel[i] yticpos[i]) }
set mytics default
set xtics scale 0 ()
do for [i=1:nxtic] { set xtics add (xticlabel[i] xticpos[i]) }
if (xrotate) { set xtics rotate by 45 right } else { set xtics norotate center }
# Turned labels reach left of the plot: room for the first one (0: automatic).
if (lmarginpx > 0) { set lmargin at screen lmarginpx / (width * 1.0) }
set grid ytics
# Multi-line tic labels get no room of their own: push the x label down by the
# extra lines.
xlabeltext = xlabel
do for [i=2:ticlines] { xlabeltext = "\n" . xlabeltext }
set xlabel xlabeltext
# A legend entry is sized even when its iteration is empty: give those an empty title.
sigtext = keysig ? 'filled: 95% CI excludes 1' : ''
nonsigtext = keynonsig ? 'open: CI includes 1' : ''
nocitext = keynoci ? nocitext : ''
citext = anyci ? '95% CI' : ''
set ylabel ylabel
plot 1 with lines lc rgb '#000000' dt 2 lw 1.5 title lineone, \
     for [s=1:nseries] for [k=1:shasci[s]] data \
         using ($1 + offset(s)):(column(col(s, 2))):(0):(column(col(s, 3)) - column(col(s, 2))) \
         with vectors @errorheads lc rgb scolor[s] lw 1.5 notitle, \
     for [s=1:nseries] data using ($1 + offset(s)):(column(col(s, 1))):(column(col(s, 4))) \
         with points pt variable ps 1.8 lw 2 lc rgb scolor[s] notitle, \
     for [s=1:nseries*showseries] keyentry with points pt 5 ps 1.5 lc rgb scolor[s] \
         title stitle[s], \
     for [k=1:anyci] keyentry with vectors @errorheads lc rgb '#303030' lw 1.5 \
         title citext, \
     for [s=1:nseries] for [k=1:showvalues] data \
         using ($1 + offset(s)):(column(col(s, 1))):(stringcolumn(col(s, 5))) \
         with labels left offset 1.2, 0 tc rgb '#303030' notitle, \
     for [k=1:keysig] keyentry with points pt 7 ps 1.5 lc rgb '#606060' \
         title sigtext, \
     for [k=1:keynonsig] keyentry with points pt 6 ps 1.5 lc rgb '#606060' \
         title nonsigtext, \
     for [k=1:keynoci] keyentry with points pt 2 ps 1.5 lc rgb '#606060' \
         title nocitext
set output
