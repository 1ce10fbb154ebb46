"""tools/analysis_tools/benchmark_tta_merge.py merges one image's pooled detections with the
compiled and the numpy grouping, which must merge the same faces."""
import re

from tool_scripts import load_tool


def test_both_groupings_merge_the_same_faces(capsys):
    tool = load_tool('analysis_tools/benchmark_tta_merge.py')
    tool.main(['--boxes', '1600', '--repeat', '1', '--threads', '1'])
    out = capsys.readouterr().out
    merged = re.search(r'1600 boxes in 14 passes -> (\d+) merged faces.*both ways: True', out)
    assert merged and 150 < int(merged[1]) < 1600, out
    assert re.search(r'^compiled / numpy time: [\d.]+x$', out, re.M), out
