// backup-client: the backup job's encryption and upload, as talos-backup does them (filippo.io/age to an
// X25519 recipient, binary format; minio-go's PutObject with credentials from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY), and the way back (GetObject, age decryption with an identity file).
//
//	backup-client keygen                                   -> "<identity>\n<recipient>\n"
//	backup-client put -endpoint URL -bucket B -key K -recipient age1... -in FILE
//	backup-client get -endpoint URL -bucket B -key K -identity FILE -out FILE
//	backup-client list -endpoint URL -bucket B -prefix P   -> one key a line
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "backup-client: "+format+"\n", a...)
	os.Exit(1)
}

func client(endpoint string) *minio.Client {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		fail("-endpoint %q is not a URL", endpoint)
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewEnvAWS(), Secure: u.Scheme == "https", Region: "us-east-1"})
	if err != nil {
		fail("S3 client: %v", err)
	}
	return c
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: backup-client keygen|put|get|list ...")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "S3 endpoint URL")
	bucket := fs.String("bucket", "", "bucket")
	key := fs.String("key", "", "object key")
	prefix := fs.String("prefix", "", "key prefix")
	recipient := fs.String("recipient", "", "age X25519 recipient")
	identity := fs.String("identity", "", "age identity file")
	in := fs.String("in", "", "input file")
	out := fs.String("out", "", "output file")
	_ = fs.Parse(os.Args[2:])
	ctx := context.Background()

	switch os.Args[1] {
	case "keygen":
		id, err := age.GenerateX25519Identity()
		if err != nil {
			fail("%v", err)
		}
		fmt.Printf("%s\n%s\n", id.String(), id.Recipient().String())
	case "put":
		r, err := age.ParseX25519Recipient(*recipient)
		if err != nil {
			fail("-recipient: %v", err)
		}
		// as talos-backup: the encrypted copy is a file next to the snapshot, uploaded with its size
		src, err := os.Open(*in)
		if err != nil {
			fail("%v", err)
		}
		enc := *in + ".age"
		dst, err := os.OpenFile(enc, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			fail("%v", err)
		}
		w, err := age.Encrypt(dst, r)
		if err == nil {
			_, err = io.Copy(w, src)
		}
		if err == nil {
			err = w.Close()
		}
		if err == nil {
			err = dst.Close()
		}
		if err != nil {
			fail("encrypt: %v", err)
		}
		defer os.Remove(enc)
		f, err := os.Open(enc)
		if err != nil {
			fail("%v", err)
		}
		info, err := f.Stat()
		if err != nil {
			fail("%v", err)
		}
		// UNSIGNED-PAYLOAD, as minio-go sends over TLS: the server here is plain HTTP on loopback
		if _, err := client(*endpoint).PutObject(ctx, *bucket, *key, f, info.Size(), minio.PutObjectOptions{ContentType: "application/octet-stream", DisableContentSha256: true}); err != nil {
			fail("put %s: %v", *key, err)
		}
	case "get":
		text, err := os.ReadFile(*identity)
		if err != nil {
			fail("%v", err)
		}
		ids, err := age.ParseIdentities(strings.NewReader(string(text)))
		if err != nil {
			fail("-identity: %v", err)
		}
		obj, err := client(*endpoint).GetObject(ctx, *bucket, *key, minio.GetObjectOptions{})
		if err != nil {
			fail("get %s: %v", *key, err)
		}
		plain, err := age.Decrypt(obj, ids...)
		if err != nil {
			fail("decrypt %s: %v", *key, err)
		}
		dst, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			fail("%v", err)
		}
		if _, err := io.Copy(dst, plain); err != nil {
			fail("decrypt %s: %v", *key, err)
		}
		if err := dst.Close(); err != nil {
			fail("%v", err)
		}
	case "list":
		for o := range client(*endpoint).ListObjects(ctx, *bucket, minio.ListObjectsOptions{Prefix: *prefix, Recursive: true}) {
			if o.Err != nil {
				fail("list: %v", o.Err)
			}
			fmt.Println(o.Key)
		}
	default:
		fail("unknown command %q", os.Args[1])
	}
}
