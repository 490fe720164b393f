// A stand-in Image Factory for the tests, on loopback: `POST /schematics` as siderolabs/image-factory
// documents it (docs/api.md) and computes ids (pkg/schematic/schematic.go): the body is decoded with
// gopkg.in/yaml.v3, unknown fields refused, into the schematic's struct; the id is the SHA-256 of that
// struct marshalled again by yaml.v3. Nothing here comes from Bulwark's code.
//
// Prints "http://127.0.0.1:<port>" once listening. FACTORY_OWNER=<name> plays an Enterprise factory with
// authentication, which sets `owner` in the schematic (so its ids differ). Each request is logged on stderr.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"gopkg.in/yaml.v3"
)

type Schematic struct {
	Owner         string        `yaml:"owner,omitempty"`
	Overlay       Overlay       `yaml:"overlay,omitempty"`
	Customization Customization `yaml:"customization"`
}

type Customization struct {
	ExtraKernelArgs  []string                `yaml:"extraKernelArgs,omitempty"`
	Meta             []MetaValue             `yaml:"meta,omitempty"`
	SystemExtensions SystemExtensions        `yaml:"systemExtensions,omitempty"`
	SecureBoot       SecureBootCustomization `yaml:"secureboot,omitempty"`
}

type MetaValue struct {
	Key   uint8  `yaml:"key"`
	Value string `yaml:"value"`
}

type SystemExtensions struct {
	OfficialExtensions []string `yaml:"officialExtensions,omitempty"`
}

type Overlay struct {
	Image   string         `yaml:"image"`
	Name    string         `yaml:"name"`
	Options map[string]any `yaml:"options,omitempty"`
}

type SecureBootCustomization struct {
	IncludeWellKnownCertificates bool `yaml:"includeWellKnownCertificates,omitempty"`
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	owner := os.Getenv("FACTORY_OWNER")
	mux := http.NewServeMux()
	mux.HandleFunc("/schematics", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(os.Stderr, "POST /schematics content-type=%s bytes=%d\n", r.Header.Get("Content-Type"), len(body))
		dec := yaml.NewDecoder(bytes.NewReader(body))
		dec.KnownFields(true)
		var s Schematic
		if err := dec.Decode(&s); err != nil && err != io.EOF {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if s.Owner != "" && s.Owner != owner {
			http.Error(w, "owner mismatch", http.StatusForbidden)
			return
		}
		s.Owner = owner
		canonical, err := yaml.Marshal(&s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sum := sha256.Sum256(canonical)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": hex.EncodeToString(sum[:]), "schematic": string(canonical)})
	})
	fmt.Printf("http://%s\n", ln.Addr().String())
	_ = http.Serve(ln, mux)
}
