// ociimage writes a one-layer linux/amd64 OCI image layout from host files, with go-containerregistry.
// Same files in, same digest out: the layer tar has fixed owners, modes and times, gzip has no timestamp,
// the config has no creation time.
//
//	ociimage -out DIR -ref bulwark/pause:3.10.2 -entrypoint /pause -user 65535:65535 -file /pause=./pause
//
// Prints {"ref","digest","layout"} as JSON on stdout.
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	out := flag.String("out", "", "OCI layout folder to (re)create")
	ref := flag.String("ref", "", "repository:tag, recorded as the layout's org.opencontainers.image.ref.name")
	user := flag.String("user", "", "config User, e.g. 65532:65532")
	var entrypoint, cmd, files list
	flag.Var(&entrypoint, "entrypoint", "entrypoint word (repeat)")
	flag.Var(&cmd, "cmd", "cmd word (repeat)")
	flag.Var(&files, "file", "IMAGEPATH=HOSTPATH, an executable file in the image (repeat)")
	flag.Parse()
	if err := run(*out, *ref, *user, entrypoint, cmd, files); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

func run(out, ref, user string, entrypoint, cmd, files []string) error {
	var problems []string
	if out == "" {
		problems = append(problems, "-out: missing (the OCI layout folder to write)")
	}
	if ref == "" || !strings.Contains(ref, ":") {
		problems = append(problems, fmt.Sprintf("-ref: %q is not repository:tag", ref))
	}
	if len(entrypoint) == 0 {
		problems = append(problems, "-entrypoint: missing (the program the container runs)")
	}
	if len(files) == 0 {
		problems = append(problems, "-file: missing (IMAGEPATH=HOSTPATH)")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	layerTar, err := layerOf(files)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer}); err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.User = entrypoint, cmd, user
	cf.Config.Env = []string{"PATH=/"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref})); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]string{"ref": ref, "digest": d.String(), "layout": out})
}

// layerOf returns an uncompressed tar of the files (and their parent folders), sorted, root-owned, time zero.
func layerOf(files []string) ([]byte, error) {
	type entry struct{ image, host string }
	var entries []entry
	for _, f := range files {
		image, host, ok := strings.Cut(f, "=")
		if !ok || !path.IsAbs(image) || host == "" {
			return nil, fmt.Errorf("-file %q: want /image/path=host/path", f)
		}
		entries = append(entries, entry{path.Clean(image)[1:], host})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].image < entries[j].image })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, e := range entries {
		var parents []string // outermost first
		for d := path.Dir(e.image); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		body, err := os.ReadFile(e.host)
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.image, Mode: 0o755, Size: int64(len(body)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
