package report

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/diff"
	"github.com/hozen-dfir/hozen/manifest"
)

// chromium finds a headless-capable Chromium, or skips. CI installs the
// Debian package chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium (Debian package chromium); the browser test runs in CI")
	return ""
}

// runChromium runs headless Chromium on a file:// URL with no network
// services of its own (no background networking, updates or sync), in a
// profile of its own.
func runChromium(t *testing.T, bin, page string, extra ...string) []byte {
	t.Helper()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	args = append(args, extra...)
	args = append(args, page)
	// A generous bound for a slow shared CI machine; it only stops a hung
	// browser, it asserts nothing about time.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return out
}

// TestBrowser opens the report from a file:// URL in headless Chromium:
// the rendered DOM holds the verification banner and the process tree,
// the inline script ran (so the CSP's hash admits it and nothing else),
// and a screenshot is not blank.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	r, _ := fixtureReport(t)
	r.Diff = browserDiff()
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	// No request leaves the page: a CSP that allows no source at all
	// (style and script are admitted by their hashes), and no reference to
	// anything outside the file.
	if !strings.Contains(html, "default-src &#39;none&#39;") {
		t.Fatal("no CSP default-src 'none'")
	}
	if m := srcHref.FindString(html); m != "" {
		t.Fatalf("a reference outside the file: %s", m)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: page}).String()

	dom := string(runChromium(t, bin, u, "--dump-dom", "--virtual-time-budget=2000"))
	for _, want := range []string{
		`id="verification"`, `class="banner banner-intact`, ">INTACT<",
		`id="process-tree"`, `data-pid="1300"`, `data-pid="1301"`, `data-pid="6666"`,
		`class="proc deleted traced"`, `class="proc hidden named"`,
		`data-script="ran"`, "22 of 22 shown",
		`id="triage"`, `class="sev-high"`, "ld-so-preload",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script>alert(1)") {
		t.Error("argv became markup in the DOM")
	}

	// Headless Chromium paints nothing when a screenshot's page is
	// scrolled to a fragment, so the page is shot whole, in a window
	// taller than it, and each section's top is found in the picture by
	// its heading's rule: a 2-pixel line in the accent colour.
	shot := filepath.Join(dir, "shot.png")
	runChromium(t, bin, u, "--screenshot="+shot, "--window-size=1280,9000")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkNotBlank(t, "the page", img)
	sections := []string{"triage", "case", "findings", "diff", "processes", "network", "logins", "persistence", "timeline", "artifacts", "custody"}
	for i, id := range sections {
		if !strings.Contains(dom, `<section id="`+id+`"`) {
			t.Errorf("rendered DOM lacks section %s (sections in order: %v)", id, sections[:i])
		}
	}
	rules := headingRules(img)
	if len(rules) != len(sections) {
		t.Fatalf("found %d section headings in the screenshot (at y=%v), want %d (%v): a section did not render, or the page is taller than the window",
			len(rules), rules, len(sections), sections)
	}
	out := os.Getenv("HOZEN_REPORT_SCREENSHOT")
	for i, y := range rules {
		// The top of the section as a reader scrolled to it sees it: from
		// just above its heading, one laptop screen tall.
		top := max(y-40, 0)
		crop := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(0, top, img.Bounds().Dx(), min(top+800, img.Bounds().Max.Y)))
		checkNotBlank(t, sections[i], crop)
		if n := headingInk(img, y); n < 40 {
			t.Errorf("section %s: its heading's text is not visible above its rule at y=%d (%d heading-coloured pixels)", sections[i], y, n)
		}
		if out != "" {
			var b bytes.Buffer
			if err := png.Encode(&b, crop); err != nil {
				t.Fatal(err)
			}
			_ = os.WriteFile(strings.TrimSuffix(out, ".png")+"-"+sections[i]+".png", b.Bytes(), 0o644)
		}
	}
	if out != "" {
		b, _ := os.ReadFile(shot)
		_ = os.WriteFile(out, b, 0o644)
		_ = os.WriteFile(strings.TrimSuffix(out, ".png")+".html", buf.Bytes(), 0o644)
	}
}

// browserDiff is a comparison with an earlier collection for the page's
// diff section: a new process and a new listening port.
func browserDiff() *diff.Result {
	side := func(name string, start time.Time, procs ...diff.Process) *diff.Snapshot {
		return &diff.Snapshot{Name: name, BundleID: "019ce9f0-0000-7000-8000-" + start.Format("20060102") + "0000", Status: bundle.StatusIntact, StartedAt: start, Host: manifest.Host{Hostname: "web-01", MachineID: "0123456789abcdef0123456789abcdef"},
			Processes: append([]diff.Process{}, procs...), Files: []diff.File{}}
	}
	st := t0.Add(-90 * time.Minute)
	kw := diff.Process{PID: 1300, Start: &st, Argv: trickyArgv, Exe: "/tmp/.x/kworker"}
	return diff.Compare(side("CASE-7_web-01_20260307T090000Z.tar.zst", t0.Add(-7*24*time.Hour)), side("CASE-7_web-01_20260314T090000Z.tar.zst", t0, kw))
}

// accent is the colour of the headings and their rules (--accent).
func accent(c color.Color, tol int) bool {
	r, g, b, _ := c.RGBA()
	near := func(v uint32, want int) bool { d := int(v>>8) - want; return d >= -tol && d <= tol }
	return near(r, 0x1f) && near(g, 0x3a) && near(b, 0x5f)
}

// headingRules returns the y of each heading rule in img, top first: a
// row mostly in the accent colour, with rows 4 pixels above and below that
// are not (which tells it from the masthead's band).
func headingRules(img image.Image) []int {
	b := img.Bounds()
	count := func(y int) int {
		n := 0
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if accent(img.At(x, y), 12) {
				n++
			}
		}
		return n
	}
	var out []int
	for y := b.Min.Y + 4; y < b.Max.Y-4; y++ {
		if count(y) > b.Dx()/4 && count(y-4) < 50 && count(y+4) < 50 {
			if len(out) == 0 || y-out[len(out)-1] > 6 {
				out = append(out, y)
			}
		}
	}
	return out
}

// headingInk counts the pixels in the heading colour in the 30 rows above
// a rule: the heading's letters.
func headingInk(img image.Image, rule int) int {
	n := 0
	for y := max(rule-30, 0); y < rule-1; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if accent(img.At(x, y), 40) {
				n++
			}
		}
	}
	return n
}

// checkNotBlank: the pixels vary, and there are many distinct colours
// (text, banners, badges, the chart).
func checkNotBlank(t *testing.T, what string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	var n, sum, sumSq float64
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			lum := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			n++
			sum += lum
			sumSq += lum * lum
			colours[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	mean := sum / n
	variance := sumSq/n - mean*mean
	t.Logf("%s: %dx%d, mean luminance %.1f, variance %.1f, %d colours", what, b.Dx(), b.Dy(), mean, variance, len(colours))
	if variance < 100 || len(colours) < 20 {
		t.Errorf("%s looks blank: variance %.1f, %d colours", what, variance, len(colours))
	}
}
