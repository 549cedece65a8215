"""A small Language Server Protocol client over stdio (JSON-RPC 2.0 with Content-Length framing), enough to drive
a real language server from tests: initialize, open documents, wait for their diagnostics, ask for hovers."""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

TIMEOUT = 60.0  # seconds a request or a document's diagnostics may take before the test fails


class LanguageServerError(RuntimeError):
    pass


class LanguageServer:
    """One server process; `settings` answer its workspace/configuration requests (by section, dotted)."""

    def __init__(self, command: Sequence[str], root: Path, settings: Mapping[str, Any]):
        self.settings = dict(settings)
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=root)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue] = {}
        self._diagnostics: dict[str, queue.Queue] = {}
        self._versions: dict[str, int] = {}
        self.log: list[str] = []
        self._reader = threading.Thread(target=self._read, name="lsp-reader", daemon=True)
        self._reader.start()
        threading.Thread(target=self._drain_stderr, name="lsp-stderr", daemon=True).start()
        self.capabilities = self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "workspaceFolders": [{"uri": root.as_uri(), "name": "spec"}],
            "capabilities": {
                "workspace": {"configuration": True, "workspaceFolders": True},
                "textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]},
                                 "publishDiagnostics": {"relatedInformation": True},
                                 "synchronization": {"didSave": True}},
            },
        })["capabilities"]
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    # -- protocol ------------------------------------------------------------------------------------------------

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        with self._lock:
            assert self.process.stdin is not None
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def request(self, method: str, params: Any) -> Any:
        ident = next(self._ids)
        reply: queue.Queue = queue.Queue()
        self._replies[ident] = reply
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        message = self._wait(reply, f"the reply to {method}")
        if "error" in message:
            raise LanguageServerError(f"{method}: {message['error']}")
        return message.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _wait(self, box: queue.Queue, what: str) -> Any:
        try:
            return box.get(timeout=TIMEOUT)
        except queue.Empty:
            raise LanguageServerError(f"no {what} within {TIMEOUT:.0f} s; server log:\n" + "\n".join(self.log[-20:]))

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return  # the server exited
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            self._dispatch(json.loads(stream.read(length)))

    def _dispatch(self, message: dict) -> None:
        if "id" in message and "method" not in message:
            box = self._replies.pop(message["id"], None)
            if box is not None:
                box.put(message)
        elif "id" in message:  # a request from the server
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
        elif message.get("method") == "textDocument/publishDiagnostics":
            params = message["params"]
            self._diagnostic_box(params["uri"]).put(params)
        elif message.get("method") in ("window/logMessage", "window/showMessage"):
            self.log.append(message["params"].get("message", ""))

    def _answer(self, message: dict) -> Any:
        if message["method"] == "workspace/configuration":
            return [self._section(item.get("section")) for item in message["params"]["items"]]
        return None  # client/registerCapability and the like: accepted

    def _section(self, section: str | None) -> Any:
        value: Any = self.settings
        for part in (section or "").split(".") if section else ():
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def _diagnostic_box(self, uri: str) -> queue.Queue:
        with self._lock:
            return self._diagnostics.setdefault(uri, queue.Queue())

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.decode("utf-8", "replace").rstrip())

    # -- documents -----------------------------------------------------------------------------------------------

    def diagnostics(self, path: Path, text: str | None = None) -> list[dict]:
        """Open (or change) the document at `path` with `text` (default: the file's) and return the diagnostics
        the server publishes for that version."""
        uri = path.resolve().as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        box = self._diagnostic_box(uri)
        while not box.empty():
            box.get_nowait()
        version = self._versions.get(uri)
        if version is None:
            self._versions[uri] = 1
            self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                                  "text": text}})
        else:
            self._versions[uri] = version + 1
            self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version + 1},
                                                   "contentChanges": [{"text": text}]})
        while True:
            published = self._wait(box, f"diagnostics for {path}")
            if published.get("version") in (None, self._versions[uri]):
                return published["diagnostics"]

    def hover(self, path: Path, line: int, character: int) -> str:
        """The hover text at a 0-based position of an open document ('' when there is none)."""
        reply = self.request("textDocument/hover", {"textDocument": {"uri": path.resolve().as_uri()},
                                                    "position": {"line": line, "character": character}})
        if not reply:
            return ""
        contents = reply["contents"]
        if isinstance(contents, dict):
            return contents.get("value", "")
        if isinstance(contents, list):
            return "\n".join(c if isinstance(c, str) else c.get("value", "") for c in contents)
        return str(contents)

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except (LanguageServerError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
