"""A minimal SMTP sink for the benchmark: answers 250 to everything and throws the mail away.

    python3 smtpsink.py PORT

Plain SMTP on 127.0.0.1:PORT (no TLS, no AUTH); prints "ready" once it listens and counts the
messages it took in (printed when it gets SIGTERM).
"""

import asyncio
import signal
import sys

received = 0


async def session(reader, writer):
    global received
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                await reader.readuntil(b"\r\n.\r\n")   # the mail, dot-stuffed, up to the final dot
                received += 1
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    writer.close()


async def main(port):
    server = await asyncio.start_server(session, "127.0.0.1", port, limit=64 << 20)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()
    print(f"received {received}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
