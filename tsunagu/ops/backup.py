"""Backup and restore of the whole database.

SQLite: the online backup API of sqlite3 (a consistent copy while the service runs).
PostgreSQL: pg_dump / pg_restore in their custom format.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections


class BackupError(CommandError):
    pass


def database_settings(alias="default"):
    return settings.DATABASES[alias]


def vendor(alias="default"):
    engine = database_settings(alias)["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"この種類のデータベースのバックアップには対応していません: {engine}")


def default_path(alias="default", now=None):
    from django.utils import timezone

    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if vendor(alias) == "sqlite" else "dump"
    return Path(settings.BASE_DIR) / "var" / "backups" / f"tsunagu-{stamp}.{suffix}"


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(db):
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db):
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args


def _require(tool):
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} が見つかりません。PostgreSQL のクライアントを入れてください。")


def backup(path, alias="default") -> Path:
    """Write a consistent copy of the database to path; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = database_settings(alias)
    if vendor(alias) == "sqlite":
        connection = connections[alias]
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
            (result,) = target.execute("PRAGMA integrity_check").fetchone()
        finally:
            target.close()
        if result != "ok":
            raise BackupError(f"バックアップの検査に失敗しました: {result}")
    else:
        _require("pg_dump")
        command = [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(path),
            *_pg_args(db),
            str(db["NAME"]),
        ]
        result = subprocess.run(command, env=_pg_env(db), capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump が失敗しました: {result.stderr.strip()}")
    return path


def restore(path, alias="default"):
    """Replace the whole database with the backup at path."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"バックアップファイルがありません: {path}")
    db = database_settings(alias)
    if vendor(alias) == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            try:
                (result,) = source.execute("PRAGMA integrity_check").fetchone()
            except sqlite3.DatabaseError as error:
                raise BackupError(f"SQLite のバックアップファイルではありません: {error}") from error
            if result != "ok":
                raise BackupError(f"バックアップファイルが壊れています: {result}")
            connections[alias].close()
            target = sqlite3.connect(db["NAME"], timeout=30)
            try:
                # Page by page into the live file, under SQLite's own locking.
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    else:
        _require("pg_restore")
        connections[alias].close()
        command = [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(db["NAME"]),
            *_pg_args(db),
            str(path),
        ]
        result = subprocess.run(command, env=_pg_env(db), capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore が失敗しました: {result.stderr.strip()}")
