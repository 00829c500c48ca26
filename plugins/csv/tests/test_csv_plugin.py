"""The plugin surface: the registered source, where the directory comes from, the batch."""

from __future__ import annotations

import types
from pathlib import Path

import click
import pytest
from collectctl_csv.plugin import read, register_sources, resolve_directory

from collectctl.errors import SourceError
from collectctl.records import Customer, Source, SyncRequest


def test_register_sources_registers_csv_with_an_optional_dir_argument():
    registered: list[Source] = []
    register_sources(registered.append)
    (source,) = registered
    assert source.name == "csv"
    assert source.read is read
    assert "customers.csv" in source.help
    argument, full, *more = source.params
    assert [p.name for p in more] == ["preset", "map", "explain", "preset_list"]
    assert isinstance(argument, click.Argument)
    assert argument.name == "dir"
    assert argument.required is False
    assert isinstance(full, click.Option)
    assert full.name == "full"
    assert full.is_flag


def test_the_entry_point_names_the_plugin_module():
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="collectctl") if e.name == "csv"]
    assert ep.value == "collectctl_csv.plugin"
    assert ep.dist is not None
    assert ep.dist.name == "collectctl-csv"


def test_read_returns_a_complete_streaming_batch(books):
    d = books()
    batch = read(SyncRequest(options={"dir": d}))
    assert batch.complete is True
    assert batch.description == f"CSV directory {d}"
    assert isinstance(batch.records, types.GeneratorType)  # streamed, not a list
    assert type(next(iter(batch.records))) is Customer


@pytest.mark.parametrize("missing", ["customers.csv", "invoices.csv", "payments.csv"])
def test_a_missing_file_raises_at_once_naming_it_and_the_fix(books, missing):
    d = books()
    (d / missing).unlink()
    with pytest.raises(SourceError) as info:
        read(SyncRequest(options={"dir": d}))
    assert missing in info.value.message
    assert "header row" in (info.value.hint or "")


def test_a_file_in_place_of_the_directory_is_an_error(tmp_path):
    f = tmp_path / "books.csv"
    f.write_text("id\n")
    with pytest.raises(SourceError, match="not a directory"):
        read(SyncRequest(options={"dir": f}))


def test_no_directory_anywhere_explains_both_ways():
    with pytest.raises(SourceError) as info:
        resolve_directory(SyncRequest(options={}))
    assert "sync csv DIR" in info.value.format()
    assert "[sources.csv]" in info.value.format()


def test_command_line_dir_is_taken_as_given(tmp_path):
    request = SyncRequest(options={"dir": Path("books")}, profile_dir=tmp_path)
    assert resolve_directory(request) == Path("books")


def test_config_dir_is_relative_to_the_profile_dir(tmp_path):
    config = {"sources": {"csv": {"dir": "books"}}}
    request = SyncRequest(options={"dir": "books"}, profile_dir=tmp_path, config=config)
    assert resolve_directory(request) == tmp_path / "books"


def test_absolute_and_home_config_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    config = {"sources": {"csv": {"dir": "~/export"}}}
    request = SyncRequest(options={"dir": "~/export"}, profile_dir=tmp_path, config=config)
    assert resolve_directory(request) == tmp_path / "me" / "export"
    absolute = str(tmp_path / "abs")
    request = SyncRequest(options={"dir": absolute}, profile_dir=tmp_path / "p")
    assert resolve_directory(request) == Path(absolute)
