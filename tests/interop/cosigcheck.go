// cosigcheck: opens a C2SP signed note with Go's golang.org/x/mod/sumdb/note
// (an implementation caseledger did not write) and a cosignature/v1 verifier
// written from c2sp.org/tlog-cosignature, to check caseledger's cosignatures
// interoperate. Usage: cosigcheck NOTE_FILE VKEY... (vkeys of type 0x01 are
// log keys, 0x04 cosigners). Exit 0 iff note.Open verifies the note under
// every given key; prints each verified signer with its timestamp.
// See docs/formats/cosignature.md.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type cosigV1 struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v cosigV1) Name() string    { return v.name }
func (v cosigV1) KeyHash() uint32 { return v.hash }
func (v cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 {
		return false
	}
	m := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	return ed25519.Verify(v.key, m, sig[8:])
}

func parse(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("malformed vkey")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 {
		return nil, errors.New("malformed vkey key")
	}
	if raw[0] == 0x01 {
		return note.NewVerifier(vkey)
	}
	if raw[0] != 0x04 {
		return nil, errors.New("unsupported type")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	id := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", id) != strings.ToLower(parts[1]) {
		return nil, errors.New("key id does not match")
	}
	return cosigV1{name: parts[0], hash: id, key: ed25519.PublicKey(raw[1:])}, nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: cosigcheck NOTE_FILE VKEY...")
		os.Exit(64)
	}
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(66)
	}
	for _, vkey := range os.Args[2:] {
		v, err := parse(vkey)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vkey:", err)
			os.Exit(65)
		}
		n, err := note.Open(msg, note.VerifierList(v))
		if err != nil {
			fmt.Fprintln(os.Stderr, "not verified by", v.Name()+":", err)
			os.Exit(1)
		}
		for _, s := range n.Sigs {
			raw, _ := base64.StdEncoding.DecodeString(s.Base64)
			if c, ok := v.(cosigV1); ok && len(raw) >= 12 {
				fmt.Printf("verified %s time %d\n", c.name, binary.BigEndian.Uint64(raw[4:12]))
			} else {
				fmt.Printf("verified %s\n", s.Name)
			}
		}
	}
}
