package report

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

	shot := filepath.Join(dir, "shot.png")
	runChromium(t, bin, u, "--screenshot="+shot, "--window-size=1280,2000")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Not blank: the pixels vary, and there are many distinct colours
	// (text, the banner, the chart).
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
	t.Logf("screenshot %dx%d: mean luminance %.1f, variance %.1f, %d colours", b.Dx(), b.Dy(), mean, variance, len(colours))
	if variance < 100 || len(colours) < 20 {
		t.Errorf("screenshot looks blank: variance %.1f, %d colours", variance, len(colours))
	}
	if out := os.Getenv("HOZEN_REPORT_SCREENSHOT"); out != "" {
		b, _ := os.ReadFile(shot)
		_ = os.WriteFile(out, b, 0o644)
		_ = os.WriteFile(strings.TrimSuffix(out, ".png")+".html", buf.Bytes(), 0o644)
	}
}
