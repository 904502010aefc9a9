package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// recipeCmds are the testscript commands of byhand.txt.
var recipeCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"readme-recipe": cmdReadmeRecipe,
}

// recipeMarker precedes, in README.md, the by-hand recipe's code block.
const recipeMarker = "<!-- by-hand recipe:"

// readme-recipe FILE: writes to FILE the shell commands of README.md's
// by-hand recipe, exactly as the README shows them: the indented block
// after the marker line, without its four spaces of indentation. The test
// runs what a reader would type, not a copy that could drift.
func cmdReadmeRecipe(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: readme-recipe FILE")
	}
	// The test binary runs in the package's directory.
	b, err := os.ReadFile("../../README.md")
	ts.Check(err)
	script, err := recipeBlock(b)
	if err != nil {
		ts.Fatalf("README.md: %v", err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), script, 0o644))
}

func recipeBlock(readme []byte) ([]byte, error) {
	sc := bufio.NewScanner(bytes.NewReader(readme))
	found := false
	var out bytes.Buffer
	for sc.Scan() {
		line := sc.Text()
		if !found {
			found = strings.HasPrefix(line, recipeMarker)
			continue
		}
		if code, ok := strings.CutPrefix(line, "    "); ok {
			out.WriteString(code + "\n")
			continue
		}
		if strings.TrimSpace(line) == "" && out.Len() == 0 {
			continue // the blank line before the block
		}
		if strings.TrimSpace(line) == "" {
			// a blank line inside the block, or its end
			out.WriteString("\n")
			continue
		}
		break
	}
	if !found {
		return nil, fmt.Errorf("no line starting with %q", recipeMarker)
	}
	s := bytes.TrimRight(out.Bytes(), "\n")
	if len(s) == 0 {
		return nil, fmt.Errorf("no indented code block after %q", recipeMarker)
	}
	return append(s, '\n'), nil
}
