module github.com/sfcas/sfcas

go 1.26.8

require (
	github.com/minio/sha256-simd v1.0.1
	github.com/zeebo/blake3 v0.2.4
	go.etcd.io/bbolt v1.5.0
	golang.org/x/crypto v0.58.0
	golang.org/x/sys v0.49.0
)

require github.com/klauspost/cpuid/v2 v2.2.3 // indirect
