package typeddelete_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// unitTypingMarker marks the one line of a snippet that must not compile.
const unitTypingMarker = "// want compile error"

// TestTypedColumnsAreCheckedAtCompileTime builds the snippets under
// testdata/nocompile against this module with the go tool and checks that
// the compiler rejects the misuse of typed columns, on the marked line and
// for the expected reason, and accepts the valid uses.
func TestTypedColumnsAreCheckedAtCompileTime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds snippets with the go tool; skipped with -short")
	}
	tests := []struct {
		name string
		file string
		want []string // fragments of the one compiler error; nil: must compile
	}{
		{"valid uses of typed columns compile", "valid.go.txt", nil},
		{"a predicate on User does not filter a query on Team", "wrong_model.go.txt", []string{
			"cannot use age.Gt(30) (value of struct type typeddelete.Predicate[User])",
			"as typeddelete.Predicate[Team] value in argument to",
		}},
		{"a string is not a value of an int column", "wrong_value.go.txt", []string{
			`cannot use "x" (untyped string constant) as int value in argument to age.Gt`,
		}},
		{"Like does not take an int column", "like_int.go.txt", []string{
			"in call to typeddelete.Like, S (type int) does not satisfy ~string",
		}},
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go tool is not on PATH: %v", err)
	}
	root, err := os.Getwd() // the test runs in the package directory, the module root
	if err != nil {
		t.Fatal(err)
	}
	env := unitTypingEnv(t, goBin)
	dir := unitTypingModule(t, root)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(root, "testdata", "nocompile", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			pkg := strings.TrimSuffix(tt.file, ".go.txt")
			if err := os.Mkdir(filepath.Join(dir, pkg), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, pkg, "snippet.go"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(goBin, "build", "./"+pkg)
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()

			if tt.want == nil {
				if err != nil {
					t.Fatalf("go build ./%s failed, so the harness is broken:\n%s", pkg, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("go build ./%s succeeded; want the compile error %q", pkg, tt.want)
			}
			errs := unitCompileErrors(out)
			if len(errs) != 1 {
				t.Fatalf("go build ./%s reported %d compile errors, want exactly 1:\n%s", pkg, len(errs), out)
			}
			if want := unitMarkedLine(t, src); errs[0].line != want {
				t.Errorf("error on line %d, want line %d (the marked one):\n%s", errs[0].line, want, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs[0].msg, w) {
					t.Errorf("compile error %q does not contain %q", errs[0].msg, w)
				}
			}
		})
	}
}

// unitTypingEnv returns the environment for building snippets: the test's
// own, with the go tool's GOFLAGS (plus -mod=mod), GOCACHE and GOMODCACHE,
// and no network (GOPROXY=off), so only the local module cache is used.
func unitTypingEnv(t *testing.T, goBin string) []string {
	t.Helper()
	out, err := exec.Command(goBin, "env", "-json", "GOFLAGS", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goenv struct{ GOFLAGS, GOCACHE, GOMODCACHE string }
	if err := json.Unmarshal(out, &goenv); err != nil {
		t.Fatalf("go env -json: %v\n%s", err, out)
	}
	var flags []string
	for _, f := range strings.Fields(goenv.GOFLAGS) {
		if !strings.HasPrefix(f, "-mod=") && !strings.HasPrefix(f, "--mod=") {
			flags = append(flags, f)
		}
	}
	set := map[string]string{
		"GOFLAGS":    strings.Join(append(flags, "-mod=mod"), " "),
		"GOCACHE":    goenv.GOCACHE,
		"GOMODCACHE": goenv.GOMODCACHE,
		"GOPROXY":    "off",
		"GOSUMDB":    "off",
		"GOWORK":     "off",
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); set[k] == "" {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// unitTypingModule makes a temporary module with the requirements and
// go.sum of the module at root, which it replaces with root itself.
func unitTypingModule(t *testing.T, root string) string {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	const module = "module github.com/typeddelete/typeddelete\n"
	if !bytes.HasPrefix(gomod, []byte(module)) {
		t.Fatalf("%s/go.mod does not start with %q", root, module)
	}
	mod := "module unittyping\n" + string(gomod[len(module):]) +
		"\nrequire github.com/typeddelete/typeddelete v0.0.0\n" +
		"\nreplace github.com/typeddelete/typeddelete => " + strconv.Quote(root) + "\n"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), gosum, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// unitCompileError is one "file:line:col: message" line of go build output.
type unitCompileError struct {
	line int
	msg  string
}

var unitCompileErrorRE = regexp.MustCompile(`(?m)^\S+\.go:(\d+):\d+: (.*)$`)

// unitCompileErrors parses the compile errors of go build output.
func unitCompileErrors(out []byte) []unitCompileError {
	var errs []unitCompileError
	for _, m := range unitCompileErrorRE.FindAllSubmatch(out, -1) {
		line, _ := strconv.Atoi(string(m[1]))
		errs = append(errs, unitCompileError{line: line, msg: string(m[2])})
	}
	return errs
}

// unitMarkedLine returns the number of the one line of src that carries
// unitTypingMarker.
func unitMarkedLine(t *testing.T, src []byte) int {
	t.Helper()
	found := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, unitTypingMarker) {
			if found != 0 {
				t.Fatalf("lines %d and %d both carry %q", found, i+1, unitTypingMarker)
			}
			found = i + 1
		}
	}
	if found == 0 {
		t.Fatalf("no line carries %q", unitTypingMarker)
	}
	return found
}
