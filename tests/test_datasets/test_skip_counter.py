"""mmpose6d.datasets.skip_counter: bad inputs counted under named reasons, logged sparingly."""
from mmpose6d.datasets.skip_counter import (SKIPS, AnnotationError, SkipCounter, counted,
                                            format_counts)


def test_logged_on_the_first_occurrence_then_every_n(logs):
    counter = SkipCounter(log_every=3)
    for i in range(7):
        counter.add('image/corrupt', f'a{i}.jpg: image skipped (image/corrupt)')
    counter.add('ann/no_faces', 'b.json: no faces', count=2)
    assert counter.counts == {'image/corrupt': 7, 'ann/no_faces': 2}
    assert logs == ['skipped [image/corrupt] (x1 so far): a0.jpg: image skipped (image/corrupt)',
                    'skipped [image/corrupt] (x3 so far): a2.jpg: image skipped (image/corrupt)',
                    'skipped [image/corrupt] (x6 so far): a5.jpg: image skipped (image/corrupt)',
                    'skipped [ann/no_faces] (x2 so far): b.json: no faces']


def test_snapshot_since_and_reset():
    counter = SkipCounter(label='written as is')
    counter.add('crop/landmarks_outside')
    before = counter.snapshot()
    counter.add('crop/landmarks_outside', count=2)
    counter.add('image/missing')
    assert counter.since(before) == {'crop/landmarks_outside': 2, 'image/missing': 1}
    assert format_counts(counter.since(before)) == 'crop/landmarks_outside: 2, image/missing: 1'
    counter.reset()
    assert not counter.counts and format_counts(counter.counts) == 'nothing'


def test_counted_turns_annotation_errors_into_skips(fresh_skips, logs):
    def parse(path):
        if path.endswith('bad.json'):
            raise AnnotationError('ann/malformed_json', f'{path}: not JSON')
        return {'path': path}

    assert counted(parse, 'good.json') == {'path': 'good.json'}
    assert counted(parse, 'bad.json') is None
    assert fresh_skips is SKIPS and SKIPS.counts == {'ann/malformed_json': 1}
    assert logs == ['skipped [ann/malformed_json] (x1 so far): bad.json: not JSON']
