"""A tiny SMTP server on 127.0.0.1 for the mail delivery tests, and its fixture."""

from __future__ import annotations

import socketserver
import threading

import pytest


class SMTPSink(socketserver.ThreadingTCPServer):
    """Accepts mail on 127.0.0.1 and keeps it; ``refuse_data`` answers DATA with a 451."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPSession)
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse_data = False
        self.offers_8bitmime = True  # False: a server without RFC 6152, which takes 7-bit only
        self.mail_commands: list[str] = []  # each MAIL FROM line as sent, with its parameters

    @property
    def port(self) -> int:
        return self.server_address[1]


class _SMTPSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink.test ESMTP")
        sender, recipients = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO" and self.server.offers_8bitmime:
                self.reply("250-sink.test")
                self.reply("250 8BITMIME")
            elif verb == "EHLO":
                self.reply("250 sink.test")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "MAIL":
                self.server.mail_commands.append(command)
                sender, recipients = command.split(":", 1)[1].split()[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                if self.server.refuse_data:
                    self.reply("451 4.3.0 Try again later")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.messages.append((sender, recipients, b"".join(lines)))
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def smtp_sink():
    sink = SMTPSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()
