"""The measured data sets are read-only to devicekit: after the suite (this module is collected
last), every file in measurements/ still has the sha256 of measurements/SHA256SUMS, the manifest
written when the data were added. conftest checks the same again when the session ends, so that
a test running after this one cannot change them unnoticed either."""

from .conftest import measurement_digests, published_digests


def test_every_measurement_file_is_unchanged_after_the_suite():
    digests = measurement_digests()
    published = published_digests()
    assert set(digests) == set(published), "files were added to or removed from measurements/"
    changed = sorted(name for name in digests if digests[name] != published[name])
    assert not changed, f"changed during the test run: {changed}"
