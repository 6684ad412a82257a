// tlogcheck: checks consentd's transparency-log output with Go's reference
// implementation (golang.org/x/mod/sumdb/note and sumdb/tlog), and writes
// the same kind of file for consentd to check. Built and run by
// tests/interop/test_go_interop.sh; needs no network (GOPATH mode).
//
//	tlogcheck check FILE    exit 0: all valid; 1: something fails; 2: usage/format
//	tlogcheck gen N FILE    a tree of N random leaves, signed by a fresh key
//
// FILE is line-oriented text, fields separated by single spaces:
//
//	vkey <note verifier key>
//	leaf <base64 entry data, or - when empty>   (entries 0, 1, ... in order)
//	checkpoint <base64 of a signed c2sp.org/tlog-checkpoint note>
//	inclusion <index> <size> <base64 leaf hash> <base64 proof hash>...
//	consistency <size1> <size2> <base64 proof hash>...
//	receipt <base64 of a c2sp.org/tlog-proof>
//
// Checkpoints come before the proofs that use their sizes. When leaves are
// given, the checker also recomputes every root and proof from them with
// tlog.StoredHashes / TreeHash / ProveRecord / ProveTree and requires the
// file's to be byte-identical.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var errFormat = errors.New("format error")

type hashStore []tlog.Hash

func (s *hashStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(*s)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = (*s)[x]
	}
	return out, nil
}

func (s *hashStore) add(n int64, data []byte) error {
	hs, err := tlog.StoredHashes(n, data, s)
	if err != nil {
		return err
	}
	*s = append(*s, hs...)
	return nil
}

func b64(s string) ([]byte, error) {
	if s == "-" {
		return []byte{}, nil
	}
	return base64.StdEncoding.DecodeString(s)
}

func hashes(fields []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(fields))
	for _, f := range fields {
		h, err := tlog.ParseHash(f)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// parseDecimal is strict: no sign, no leading zero, fits int64.
func parseDecimal(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return n, nil
}

// parseCheckpoint parses c2sp.org/tlog-checkpoint note text.
func parseCheckpoint(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" || lines[0] == "" {
		return "", 0, tlog.Hash{}, fmt.Errorf("malformed checkpoint")
	}
	for _, l := range lines[3 : len(lines)-1] {
		if l == "" {
			return "", 0, tlog.Hash{}, fmt.Errorf("empty extension line")
		}
	}
	if size, err = parseDecimal(lines[1]); err != nil {
		return "", 0, tlog.Hash{}, err
	}
	if root, err = tlog.ParseHash(lines[2]); err != nil {
		return "", 0, tlog.Hash{}, err
	}
	return lines[0], size, root, nil
}

type checker struct {
	verifiers note.Verifiers
	origin    string
	leaves    [][]byte
	store     hashStore
	roots     map[int64]tlog.Hash
	checked   int
}

func (c *checker) openCheckpoint(msg []byte) (int64, tlog.Hash, error) {
	n, err := note.Open(msg, c.verifiers)
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	origin, size, root, err := parseCheckpoint(n.Text)
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	if origin != c.origin {
		return 0, tlog.Hash{}, fmt.Errorf("origin %q, want %q", origin, c.origin)
	}
	if size == 0 {
		if root != tlog.Hash(sha256.Sum256(nil)) {
			return 0, tlog.Hash{}, fmt.Errorf("size 0 with a root other than SHA-256(\"\")")
		}
	} else if size <= int64(len(c.leaves)) {
		want, err := tlog.TreeHash(size, &c.store)
		if err != nil {
			return 0, tlog.Hash{}, err
		}
		if want != root {
			return 0, tlog.Hash{}, fmt.Errorf("root of size %d differs from the leaves'", size)
		}
	}
	return size, root, nil
}

func (c *checker) root(size int64) (tlog.Hash, error) {
	r, ok := c.roots[size]
	if !ok {
		return tlog.Hash{}, fmt.Errorf("%w: no checkpoint of size %d", errFormat, size)
	}
	return r, nil
}

func sameProof(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (c *checker) inclusion(index, size int64, leaf tlog.Hash, proof []tlog.Hash) error {
	if index < int64(len(c.leaves)) && tlog.RecordHash(c.leaves[index]) != leaf {
		return fmt.Errorf("leaf hash %d differs from the leaf's", index)
	}
	root, err := c.root(size)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
		return err
	}
	if size <= int64(len(c.leaves)) {
		want, err := tlog.ProveRecord(size, index, &c.store)
		if err != nil {
			return err
		}
		if !sameProof(want, proof) {
			return fmt.Errorf("proof differs from tlog.ProveRecord")
		}
	}
	return nil
}

func (c *checker) line(line string) error {
	f := strings.Split(line, " ")
	var err error
	switch f[0] {
	case "vkey":
		if len(f) != 2 {
			return errFormat
		}
		v, err := note.NewVerifier(f[1])
		if err != nil {
			return fmt.Errorf("%w: %v", errFormat, err)
		}
		c.verifiers = note.VerifierList(v)
		c.origin = v.Name()
	case "leaf":
		if len(f) != 2 {
			return errFormat
		}
		data, err := b64(f[1])
		if err != nil {
			return fmt.Errorf("%w: %v", errFormat, err)
		}
		if err := c.store.add(int64(len(c.leaves)), data); err != nil {
			return err
		}
		c.leaves = append(c.leaves, data)
	case "checkpoint":
		if len(f) != 2 {
			return errFormat
		}
		msg, err := b64(f[1])
		if err != nil {
			return errFormat
		}
		size, root, err := c.openCheckpoint(msg)
		if err != nil {
			return err
		}
		c.roots[size] = root
	case "inclusion":
		if len(f) < 4 {
			return errFormat
		}
		index, err1 := parseDecimal(f[1])
		size, err2 := parseDecimal(f[2])
		leaf, err3 := tlog.ParseHash(f[3])
		proof, err4 := hashes(f[4:])
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			return errFormat
		}
		err = c.inclusion(index, size, leaf, proof)
	case "consistency":
		if len(f) < 3 {
			return errFormat
		}
		m, err1 := parseDecimal(f[1])
		n, err2 := parseDecimal(f[2])
		proof, err3 := hashes(f[3:])
		if err1 != nil || err2 != nil || err3 != nil {
			return errFormat
		}
		rm, err := c.root(m)
		if err != nil {
			return err
		}
		rn, err := c.root(n)
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(proof, n, rn, m, rm); err != nil {
			return err
		}
		if n <= int64(len(c.leaves)) {
			want, err := tlog.ProveTree(n, m, &c.store)
			if err != nil {
				return err
			}
			if !sameProof(want, proof) {
				return fmt.Errorf("proof differs from tlog.ProveTree")
			}
		}
	case "receipt":
		if len(f) != 2 {
			return errFormat
		}
		data, err := b64(f[1])
		if err != nil {
			return errFormat
		}
		err = c.receipt(string(data))
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: unknown line %q", errFormat, f[0])
	}
	if err == nil {
		c.checked++
	}
	return err
}

// receipt checks a c2sp.org/tlog-proof against the leaves.
func (c *checker) receipt(text string) error {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 3 || lines[0] != "c2sp.org/tlog-proof@v1\n" {
		return fmt.Errorf("malformed tlog-proof header")
	}
	i := 1
	if strings.HasPrefix(lines[i], "extra ") {
		extra := strings.TrimSuffix(lines[i][len("extra "):], "\n")
		if _, err := base64.StdEncoding.DecodeString(extra); err != nil || extra == "" {
			return fmt.Errorf("malformed extra data")
		}
		i++
	}
	if i >= len(lines) || !strings.HasPrefix(lines[i], "index ") || !strings.HasSuffix(lines[i], "\n") {
		return fmt.Errorf("malformed index line")
	}
	index, err := parseDecimal(strings.TrimSuffix(lines[i][len("index "):], "\n"))
	if err != nil {
		return err
	}
	var proof []tlog.Hash
	for i++; i < len(lines) && lines[i] != "\n"; i++ {
		h, err := tlog.ParseHash(strings.TrimSuffix(lines[i], "\n"))
		if err != nil || !strings.HasSuffix(lines[i], "\n") {
			return fmt.Errorf("malformed proof hash")
		}
		proof = append(proof, h)
	}
	if i >= len(lines) {
		return fmt.Errorf("no checkpoint in tlog-proof")
	}
	size, root, err := c.openCheckpoint([]byte(strings.Join(lines[i+1:], "")))
	if err != nil {
		return err
	}
	if index >= int64(len(c.leaves)) {
		return fmt.Errorf("%w: receipt for unknown leaf %d", errFormat, index)
	}
	return tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(c.leaves[index]))
}

func check(path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer f.Close()
	c := &checker{roots: map[int64]tlog.Hash{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for lineno := 1; sc.Scan(); lineno++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if c.verifiers == nil && !strings.HasPrefix(line, "vkey ") {
			fmt.Fprintf(os.Stderr, "%s:%d: no vkey line first\n", path, lineno)
			return 2
		}
		if err := c.line(line); err != nil {
			fmt.Fprintf(os.Stderr, "%s:%d: %v\n", path, lineno, err)
			if errors.Is(err, errFormat) {
				return 2
			}
			return 1
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("tlogcheck: %s: %d items valid (%d leaves)\n", path, c.checked, len(c.leaves))
	return 0
}

func randInt(n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		panic(err)
	}
	return v.Int64()
}

func gen(n int64, path string) error {
	const name = "example.com/go-interop"
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "vkey %s\n", vkey)
	var store hashStore
	leaves := make([]tlog.Hash, n)
	for i := int64(0); i < n; i++ {
		data := make([]byte, randInt(65))
		rand.Read(data)
		if err := store.add(i, data); err != nil {
			return err
		}
		leaves[i] = tlog.RecordHash(data)
		enc := base64.StdEncoding.EncodeToString(data)
		if enc == "" {
			enc = "-"
		}
		fmt.Fprintf(&out, "leaf %s\n", enc)
	}
	sizeSet := map[int64]bool{n: true, 1: true, (n + 1) / 2: true}
	if n > 1 {
		sizeSet[n-1] = true
	}
	for i := 0; i < 3; i++ {
		sizeSet[1+randInt(n)] = true
	}
	var sizes []int64
	for s := range sizeSet {
		sizes = append(sizes, s)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	notes := map[int64][]byte{}
	for _, s := range sizes {
		root, err := tlog.TreeHash(s, &store)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("%s\n%d\n%s\n", name, s, root)
		msg, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			return err
		}
		notes[s] = msg
		fmt.Fprintf(&out, "checkpoint %s\n", base64.StdEncoding.EncodeToString(msg))
	}
	writeProof := func(kind string, a, b int64, first *tlog.Hash, p []tlog.Hash) {
		fmt.Fprintf(&out, "%s %d %d", kind, a, b)
		if first != nil {
			fmt.Fprintf(&out, " %s", *first)
		}
		for _, h := range p {
			fmt.Fprintf(&out, " %s", h)
		}
		out.WriteString("\n")
	}
	for _, s := range sizes {
		for k := int64(0); k < 40 && k < s; k++ {
			i := k
			if s > 40 {
				i = randInt(s)
			}
			p, err := tlog.ProveRecord(s, i, &store)
			if err != nil {
				return err
			}
			writeProof("inclusion", i, s, &leaves[i], p)
		}
		for _, m := range sizes {
			if m > s {
				break
			}
			p, err := tlog.ProveTree(s, m, &store)
			if err != nil {
				return err
			}
			writeProof("consistency", m, s, nil, p)
		}
	}
	for k := 0; k < 5; k++ {
		i := randInt(n)
		p, err := tlog.ProveRecord(n, i, &store)
		if err != nil {
			return err
		}
		var r bytes.Buffer
		r.WriteString("c2sp.org/tlog-proof@v1\n")
		if k == 0 {
			r.WriteString("extra " + base64.StdEncoding.EncodeToString([]byte("go")) + "\n")
		}
		fmt.Fprintf(&r, "index %d\n", i)
		for _, h := range p {
			fmt.Fprintf(&r, "%s\n", h)
		}
		r.WriteString("\n")
		r.Write(notes[n])
		fmt.Fprintf(&out, "receipt %s\n", base64.StdEncoding.EncodeToString(r.Bytes()))
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

func main() {
	switch {
	case len(os.Args) == 3 && os.Args[1] == "check":
		os.Exit(check(os.Args[2]))
	case len(os.Args) == 4 && os.Args[1] == "gen":
		n, err := strconv.ParseInt(os.Args[2], 10, 64)
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "tlogcheck: bad size")
			os.Exit(2)
		}
		if err := gen(n, os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "tlogcheck:", err)
			os.Exit(2)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: tlogcheck check FILE | tlogcheck gen N FILE")
		os.Exit(2)
	}
}
