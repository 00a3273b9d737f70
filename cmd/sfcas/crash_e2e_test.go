package main

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/zeebo/blake3"
)

// checkBlobTree re-hashes every file at a digest path: none may hold bytes
// other than its name says.
func checkBlobTree(t *testing.T, root string) int {
	t.Helper()
	blobs, err := cas.Open(root, cas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = blobs.Walk(t.Context(), func(path string, d cas.Digest, ok bool, size int64) error {
		if !ok {
			return fmt.Errorf("%s is in the digest tree but is not named by a digest", path)
		}
		if _, _, err := blobs.Verify(t.Context(), d); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCrash_KillDuringUpload: kill -9 while a chunk is arriving; after a
// restart the session resumes from its acknowledged size and the committed
// blob has exactly the uploaded bytes.
func TestCrash_KillDuringUpload(t *testing.T) {
	d := startDaemon(t, "")
	sf := newSFClient(t, d.url, "system", d.systemKey())
	data := randomBytes(t, 3<<20)
	up := sf.must("POST", "/upload", nil)
	id := up["uuid"].(string)
	sf.sendUploadFile(id, data[:1<<20], -1)

	// A chunk that never finishes: half of it is sent, then the daemon dies.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", d.url+"/upload/"+id, pr)
	req.Header.Set("Authorization", "Bearer "+sf.token)
	req.ContentLength = 1 << 20
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("the cut chunk got an answer: %s", resp.Status)
		}
		done <- err
	}()
	pw.Write(data[1<<20 : 1<<20+600<<10])
	time.Sleep(200 * time.Millisecond)
	d.kill()
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done

	d.start()
	sf.token, sf.base = "", d.url
	u := sf.must("GET", "/upload/"+id, nil)
	if int(u["size"].(float64)) != 1<<20 {
		t.Fatalf("after restart the upload is at %v, want the acknowledged %d", u["size"], 1<<20)
	}
	resp, err := sf.call("POST", "/upload/"+id, data[1<<20:])
	if err != nil || int(resp.(float64)) != len(data) {
		t.Fatalf("resume: %v %v", resp, err)
	}
	art := sf.must("POST", "/artifacts/upload/resumed", map[string]any{"upload_uuid": id})
	if got := sf.blobData(art["blob_uuid"].(string), 0, 1<<30); !bytes.Equal(got, data) {
		t.Fatal("resumed upload committed other bytes")
	}
	want := sha512.Sum512(data)
	if b := sf.must("GET", "/blobs/"+art["blob_uuid"].(string), nil); b["sha512"] != hex.EncodeToString(want[:]) {
		t.Fatal("sha512 of the resumed blob is wrong")
	}
	checkBlobTree(t, d.root)
}

// TestCrash_KillDuringStreamedPublish: a long streamed publish checkpoints
// its offset; after kill -9 and a restart the CLI-style client resumes from
// the checkpoint, not from zero, and the label gets exactly the file.
func TestCrash_KillDuringStreamedPublish(t *testing.T) {
	d := startDaemon(t, "")
	sf := newSFClient(t, d.url, "system", d.systemKey())
	if err := sf.authenticate(); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 150<<20)
	key := "0b4a1f62-3c2d-4e8f-9a1b-2c3d4e5f6a7b"
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", d.url+"/v1/labels/system/streamed", pr)
	req.Header.Set("Authorization", "Bearer "+sf.token)
	req.Header.Set("Upload-Key", key)
	req.ContentLength = int64(len(data))
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	pw.Write(data[:100<<20]) // past the first 64 MiB checkpoint
	time.Sleep(300 * time.Millisecond)
	d.kill()
	pw.CloseWithError(io.ErrUnexpectedEOF)

	d.start()
	sf.token, sf.base = "", d.url
	if err := sf.authenticate(); err != nil {
		t.Fatal(err)
	}
	u := sf.must("GET", "/v1/uploads/"+key, nil)
	off := int(u["offset"].(float64))
	if off < 64<<20 || off > 100<<20 {
		t.Fatalf("after restart the stream is at %d; want a checkpoint between 64 MiB and what was sent", off)
	}
	req, _ = http.NewRequest("POST", d.url+"/v1/labels/system/streamed", bytes.NewReader(data[off:]))
	req.Header.Set("Authorization", "Bearer "+sf.token)
	req.Header.Set("Upload-Key", key)
	req.Header.Set("Upload-Offset", fmt.Sprint(off))
	sum := blake3.Sum256(data)
	req.Trailer = http.Header{"Upload-Digest": {"blake3:" + hex.EncodeToString(sum[:])}}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), hex.EncodeToString(sum[:])) {
		t.Fatalf("resumed publish: %d %s", resp.StatusCode, clipBytes(body))
	}
	checkBlobTree(t, d.root)
}

// TestCrash_KillDuringLabelUpdates: kill -9 while label updates stream in;
// after a restart every acknowledged version is there, pointing at the
// right bytes, and no digest-path file holds wrong bytes.
func TestCrash_KillDuringLabelUpdates(t *testing.T) {
	d := startDaemon(t, "")
	sf := newSFClient(t, d.url, "system", d.systemKey())
	var blobUUIDs []string
	var contents [][]byte
	for i := range 4 {
		b := randomBytes(t, 200<<10+i)
		up := sf.must("POST", "/upload", nil)
		sf.sendUploadFile(up["uuid"].(string), b, -1)
		a := sf.must("POST", fmt.Sprintf("/artifacts/upload/source-%d", i), map[string]any{"upload_uuid": up["uuid"]})
		blobUUIDs, contents = append(blobUUIDs, a["blob_uuid"].(string)), append(contents, b)
	}
	sf.must("POST", "/label/moving", map[string]any{"blob_uuid": blobUUIDs[0], "max_versions": 1000})

	type ack struct {
		index int
		blob  int
	}
	var mu sync.Mutex
	var acked []ack
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			c := newSFClient(t, d.url, "system", d.systemKey())
			c.token = sf.token
			for i := 0; ctx.Err() == nil; i++ {
				which := (w + i) % len(blobUUIDs)
				v, err := c.call("POST", "/label/moving", map[string]any{"blob_uuid": blobUUIDs[which]})
				if err != nil {
					return // the daemon died under us
				}
				idx := int(v.(map[string]any)["index"].(float64))
				mu.Lock()
				acked = append(acked, ack{idx, which})
				mu.Unlock()
			}
		})
	}
	// Kill once updates are flowing (how long that takes depends on the
	// machine and the race detector, so wait for acknowledgements).
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20 {
			break
		}
	}
	d.kill()
	cancel()
	wg.Wait()
	if len(acked) < 5 {
		t.Fatalf("only %d label updates were acknowledged before the kill", len(acked))
	}

	d.start()
	sf.token, sf.base = "", d.url
	label := sf.must("GET", "/label/moving", nil)
	vers := label["blobs"].(map[string]any)
	for _, a := range acked {
		v, ok := vers[fmt.Sprint(a.index)].(map[string]any)
		if !ok {
			t.Fatalf("acknowledged version %d is missing after the restart", a.index)
		}
		if v["uuid"] != blobUUIDs[a.blob] {
			t.Fatalf("version %d points at %v, acknowledged as %s", a.index, v["uuid"], blobUUIDs[a.blob])
		}
	}
	for i, u := range blobUUIDs {
		if got := sf.blobData(u, 0, 1<<30); !bytes.Equal(got, contents[i]) {
			t.Fatalf("blob %d reads other bytes after the restart", i)
		}
	}
	if n := checkBlobTree(t, d.root); n != len(blobUUIDs) {
		t.Fatalf("digest tree holds %d blobs, want %d", n, len(blobUUIDs))
	}
	if _, err := os.Stat(filepath.Join(d.root, "catalog.db")); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d label updates acknowledged before kill -9; all present after restart", len(acked))
}
