package catalog

// Bucket names; the package doc draws the tree.
var (
	bucketMeta           = []byte("meta")
	bucketNamespaces     = []byte("namespaces")
	bucketBlobs          = []byte("blobs")
	bucketBlobUUID       = []byte("blob_uuid")
	bucketBlobSHA256     = []byte("blob_sha256")
	bucketBlobSHA512     = []byte("blob_sha512")
	bucketBlobRefs       = []byte("blob_refs")
	bucketArtifacts      = []byte("artifacts")
	bucketArtifactName   = []byte("artifact_name")
	bucketArtifactType   = []byte("artifact_type")
	bucketArtifactShared = []byte("artifact_shared")
	bucketArtifactGrant  = []byte("artifact_grant")
	bucketUploads        = []byte("uploads")
	bucketEvents         = []byte("events")
)

// Keys in the meta bucket.
var (
	keySchemaVersion = []byte("schema_version")
	keyTokenSecret   = []byte("token_secret")
)

// sep separates the parts of composite index keys; names never contain NUL.
const sep = 0x00

// joinKey builds a composite index key from its parts.
func joinKey(parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, sep)
		}
		k = append(k, p...)
	}
	return k
}
