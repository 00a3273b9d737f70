"""Drive sfcas with the unchanged Shaken Fist Python client.

Usage: sf_client_flows.py BASE_URL SYSTEM_KEY

Runs the storage flows of the compatibility issue through
shakenfist_client.apiclient and exits non-zero on the first mismatch.
"""
import hashlib
import io
import os
import sys

from shakenfist_client import apiclient


def check(cond, what):
    if not cond:
        print('FAIL: %s' % what)
        sys.exit(1)


def main():
    base_url, key = sys.argv[1], sys.argv[2]
    c = apiclient.Client(base_url=base_url, namespace='system', key=key)
    for cap in ('blob-search-by-hash', 'blob-data-limit', 'artifact-metadata'):
        check(c.check_capability(cap), 'capability %s' % cap)

    data = os.urandom(3 * 1024 * 1024 + 17)
    up = c.create_upload()
    c.send_upload_file(up['uuid'], io.BytesIO(data))
    art = c.upload_artifact('py-image', up['uuid'])
    check(art['artifact_type'] == 'image', 'artifact type %s' % art)
    blob_uuid = art['blob_uuid']

    # Truncate and resend, as send_upload_file does after a failed chunk.
    up2 = c.create_upload()
    check(c.send_upload(up2['uuid'], b'garbage') == 7, 'send_upload size')
    c.truncate_upload(up2['uuid'], 0)
    check(c.send_upload(up2['uuid'], b'v2') == 2, 'send after truncate')
    c.upload_artifact('py-image', up2['uuid'])

    got = b''.join(c.get_blob_data(blob_uuid))
    check(got == data, 'blob data round trip')
    got = b''.join(c.get_blob_data(blob_uuid, offset=1000))
    check(got == data[1000:], 'blob data from an offset')

    found = c.get_blob_by_sha512(hashlib.sha512(data).hexdigest())
    check(found and found['uuid'] == blob_uuid, 'search by sha512')
    check(not c.get_blob_by_sha512('ab' * 64), 'search miss is empty')

    label = c.update_label('py-label', blob_uuid)
    check(label['blob_uuid'] == blob_uuid, 'label update')
    check(c.get_artifact('py-label')['uuid'] == label['uuid'], 'get label')
    versions = c.get_artifact_versions(art['uuid'])
    check(len(versions) == 2, 'two image versions, got %d' % len(versions))

    c.set_artifact_metadata_item(art['uuid'], 'owner', 'team-a')
    check(c.get_artifact_metadata(art['uuid']).get('owner') == 'team-a', 'metadata')
    c.delete_artifact_metadata_item(art['uuid'], 'owner')
    check('owner' not in c.get_artifact_metadata(art['uuid']), 'metadata delete')
    check(len(c.get_artifact_events(label['uuid'])) > 0, 'events')

    c.set_artifact_max_versions(art['uuid'], 1)
    check(c.get_blob(blob_uuid)['reference_count'] == 1, 'reaping frees a reference')
    print('OK')


if __name__ == '__main__':
    main()
