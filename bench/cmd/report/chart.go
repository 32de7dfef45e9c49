package main

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// chartSeries is one library's time ratios to pgx, one per benchmark, NaN
// where it has none.
type chartSeries struct {
	Lib    string
	Ratios []float64
}

// chartData gathers the bars: a group per benchmark with a pgx result and
// a bar per library other than pgx itself.
func chartData(s *summary) (benches []string, series []chartSeries) {
	var tables []*table
	var libs []string
	for _, t := range s.Tables {
		if !t.pgx().has() {
			continue
		}
		tables = append(tables, t)
		for _, r := range t.Rows {
			if r.Lib != "pgx" && r.has() && !slices.Contains(libs, r.Lib) {
				libs = append(libs, r.Lib)
			}
		}
	}
	slices.SortFunc(libs, compareLibs)
	for _, t := range tables {
		benches = append(benches, t.Bench)
	}
	for _, lib := range libs {
		cs := chartSeries{Lib: lib}
		for _, t := range tables {
			v := math.NaN()
			if r := t.row(lib); r.has() {
				v = ratioOf(r.Time, t.pgx().Time).Mid
			}
			cs.Ratios = append(cs.Ratios, v)
		}
		series = append(series, cs)
	}
	return benches, series
}

// libColor gives every library its own colour, Strata a strong one and
// the pgx techniques light ones; i picks one for a library it does not know.
func libColor(lib string, i int) color.Color {
	rgb := func(v uint32) color.Color {
		return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
	}
	switch lib {
	case "strata":
		return rgb(0xd62728)
	case "strata-expr":
		return rgb(0xff9896)
	case "pgx-copy":
		return rgb(0x9ec8e6)
	case "pgx-unnest":
		return rgb(0x9edae5)
	case "databasesql":
		return rgb(0x8c564b)
	case "gorm":
		return rgb(0x7f7f7f)
	case "bun":
		return rgb(0xbcbd22)
	case "sqlx":
		return rgb(0x1f77b4)
	}
	palette := []uint32{0x2ca02c, 0x9467bd, 0xff7f0e, 0xe377c2, 0x17becf, 0xc5b0d5}
	return rgb(palette[i%len(palette)])
}

// logTicker labels a log10 axis with the ratios 1, 2 and 5 of each decade.
type logTicker struct{}

// Ticks implements plot.Ticker.
func (logTicker) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := math.Log10(m) + e
			if v < lo-1e-9 || v > hi+1e-9 {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(math.Pow(10, v), 'g', 3, 64) + "x"})
		}
	}
	return ticks
}

// snap125 rounds v > 0 down (or up) to the nearest 1, 2 or 5 times a
// power of ten, where logTicker puts its ticks.
func snap125(v float64, up bool) float64 {
	e := math.Floor(math.Log10(v))
	var cands []float64
	for d := e - 1; d <= e+1; d++ {
		for _, m := range []float64{1, 2, 5} {
			cands = append(cands, m*math.Pow(10, d))
		}
	}
	best := math.NaN()
	for _, c := range cands {
		if up && c >= v*(1-1e-9) && !(c >= best) {
			best = c
		}
		if !up && c <= v*(1+1e-9) && !(c <= best) {
			best = c
		}
	}
	return best
}

// ratioTicker labels a linear ratio axis like plot.DefaultTicks, with an x.
type ratioTicker struct{}

// Ticks implements plot.Ticker.
func (ratioTicker) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label += "x"
		}
	}
	return ticks
}

// renderChart draws a grouped bar chart of every library's time relative
// to pgx, per benchmark, and returns the image in the format named by
// ext (".png" or ".svg"). The axis is logarithmic when the ratios span
// more than a factor of ten.
func renderChart(s *summary, ext string) ([]byte, error) {
	benches, series := chartData(s)
	if len(benches) == 0 || len(series) == 0 {
		return nil, fmt.Errorf("no benchmark has both a pgx result and another library's")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, cs := range series {
		for _, v := range cs.Ratios {
			if v > 0 && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	logScale := hi/lo > 10
	tr := func(v float64) float64 { return v }
	if logScale {
		tr = math.Log10
	}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("Median time per operation relative to raw pgx (lower is better, %d run(s) each)", s.runs())
	p.Y.Label.Text = "time / pgx time"
	p.Y.Tick.Marker = ratioTicker{}
	if logScale {
		p.Y.Label.Text += " (log scale)"
		p.Y.Tick.Marker = logTicker{}
	}
	p.NominalX(benches...)
	p.Legend.Top = true
	p.Legend.Left = false
	p.Add(plotter.NewGrid())

	const (
		width  = 12 * vg.Inch
		height = 5.5 * vg.Inch
	)
	// Leave the right of the plot to the legend; size the bars so that a
	// group fills 80% of a benchmark's slot.
	legendSlots := 1.6
	slot := (width - 1.2*vg.Inch) / vg.Length(float64(len(benches))+legendSlots)
	barW := slot * 0.8 / vg.Length(len(series))

	for i, cs := range series {
		vals := make(plotter.Values, len(cs.Ratios))
		for j, v := range cs.Ratios {
			if v > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
				vals[j] = tr(v)
			} else {
				vals[j] = tr(1) // missing: an empty bar on the baseline
			}
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil, fmt.Errorf("bars of %s: %w", cs.Lib, err)
		}
		if !logScale {
			// Linear bars stand on zero; mark missing ones as zero height.
			for j, v := range cs.Ratios {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					bars.Values[j] = 0
				}
			}
		}
		bars.Color = libColor(cs.Lib, i)
		bars.LineStyle.Width = 0
		bars.Offset = (vg.Length(i) - vg.Length(len(series)-1)/2) * barW
		p.Add(bars)
		p.Legend.Add(cs.Lib, bars)
	}

	// The pgx line: ratio 1.
	base := tr(1)
	line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: base}, {X: float64(len(benches)) - 0.5 + legendSlots, Y: base}})
	if err != nil {
		return nil, fmt.Errorf("pgx line: %w", err)
	}
	line.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	p.Add(line)
	p.Legend.Add("pgx = 1x", line)

	p.X.Min = -0.5
	p.X.Max = float64(len(benches)) - 0.5 + legendSlots
	if logScale {
		p.Y.Min = tr(math.Min(snap125(lo, false), 0.9))
		p.Y.Max = tr(math.Max(snap125(hi, true), 1.1))
	} else {
		p.Y.Min = 0
		p.Y.Max = hi * 1.05
	}

	wt, err := p.WriterTo(width, height, strings.TrimPrefix(strings.ToLower(ext), "."))
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("drawing chart: %w", err)
	}
	return buf.Bytes(), nil
}

// chartFormat checks that the chart's file name ends in a format the chart
// can be drawn in, and returns its extension.
func chartFormat(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".png", ".svg":
		return ext, nil
	}
	return "", fmt.Errorf("chart %s: want a .png or .svg file", path)
}
