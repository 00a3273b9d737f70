package cas

import "path/filepath"

// Paths inside a store root; see the package doc for the tree.

func blobDir(root string) string  { return filepath.Join(root, "blobs", "blake3") }
func spoolDir(root string) string { return filepath.Join(root, "uploads") }
func tempDir(root string) string  { return filepath.Join(root, "tmp") }

// blobPath is blobs/blake3/ab/cd/<hex>.
func blobPath(root string, d Digest) string {
	h := d.Hex()
	return filepath.Join(blobDir(root), h[0:2], h[2:4], h)
}

// spoolPath is uploads/<uuid>.
func spoolPath(root string, id UUID) string { return filepath.Join(spoolDir(root), id.String()) }
