"""The TURN credentials our code issues open a real relay: Debian's coturn on loopback with
``use-auth-secret``, two peer connections in Debian's chromium with ``iceTransportPolicy:
"relay"`` and the configuration from ``turn.ice_configuration()``, video from a canvas. The
call connects through relay candidates on both ends and frames are decoded; credentials made
with a wrong secret, or expired ones, are refused and no call connects."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from buergerbuero.videooffice.testing.coturn import running_coturn
from buergerbuero.videooffice.turn import ice_configuration, turn_credentials

pytestmark = pytest.mark.e2e

SECRET = "loopback-turn-secret"

# Two peer connections in one page, signalling by direct calls; video from an animated
# canvas, so no camera (and no fake-device flag) is needed. Returns what the test asserts.
CALL_THROUGH_TURN = """
async ({config, timeoutMs}) => {
  const deadline = Date.now() + timeoutMs;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const paint = canvas.getContext("2d");
  let frame = 0;
  const painter = setInterval(() => {
    paint.fillStyle = `hsl(${(frame += 17) % 360}, 70%, 50%)`;
    paint.fillRect(0, 0, 320, 240);
  }, 33);
  const stream = canvas.captureStream(30);

  const caller = new RTCPeerConnection(config);
  const callee = new RTCPeerConnection(config);
  const gathered = {caller: [], callee: []};
  const errors = [];
  for (const [name, pc, other] of [["caller", caller, callee], ["callee", callee, caller]]) {
    pc.onicecandidate = (event) => {
      if (!event.candidate) return;
      gathered[name].push(event.candidate.type);
      other.addIceCandidate(event.candidate);
    };
    pc.onicecandidateerror = (event) => errors.push(event.errorCode);
  }
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  callee.ontrack = (event) => { video.srcObject = event.streams[0]; };
  for (const track of stream.getTracks()) caller.addTrack(track, stream);

  await caller.setLocalDescription(await caller.createOffer());
  await callee.setRemoteDescription(caller.localDescription);
  await callee.setLocalDescription(await callee.createAnswer());
  await caller.setRemoteDescription(callee.localDescription);

  const settled = () => ["connected", "failed"].includes(caller.connectionState)
    && ["connected", "failed"].includes(callee.connectionState);
  const gatheringDone = () => caller.iceGatheringState === "complete"
    && callee.iceGatheringState === "complete";
  while (!settled() && Date.now() < deadline) {
    // Without any candidate nothing can ever connect: no need to wait for ICE to give up.
    if (gatheringDone() && !gathered.caller.length && !gathered.callee.length) break;
    await sleep(100);
  }

  let framesDecoded = 0;
  while (callee.connectionState === "connected" && Date.now() < deadline) {
    const stats = [...(await callee.getStats()).values()];
    const inbound = stats.find((s) => s.type === "inbound-rtp" && s.kind === "video");
    framesDecoded = inbound ? inbound.framesDecoded || 0 : 0;
    if (framesDecoded > 0) break;
    await sleep(100);
  }

  const selectedPair = async (pc) => {
    const stats = await pc.getStats();
    const transport = [...stats.values()].find((s) => s.type === "transport");
    const pair = transport && stats.get(transport.selectedCandidatePairId);
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return {state: pair.state, local: local.candidateType, remote: remote.candidateType,
            relayProtocol: local.relayProtocol || null};
  };
  // The side that did not nominate may report its selected pair "in-progress" for a moment
  // after the connection is up (its own check still on its way): wait for both to succeed.
  let callerPair = await selectedPair(caller);
  let calleePair = await selectedPair(callee);
  const bothSucceeded = () => callerPair && calleePair
    && callerPair.state === "succeeded" && calleePair.state === "succeeded";
  while (!bothSucceeded() && callee.connectionState === "connected" && Date.now() < deadline) {
    await sleep(100);
    callerPair = await selectedPair(caller);
    calleePair = await selectedPair(callee);
  }
  const result = {
    caller: caller.connectionState,
    callee: callee.connectionState,
    gathered,
    errors,
    framesDecoded,
    callerPair,
    calleePair,
  };
  clearInterval(painter);
  caller.close();
  callee.close();
  return result;
}
"""


class _BlankPage(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802  (http.server's naming)
        body = b"<!doctype html><html lang='de'><title>TURN</title><body></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def blank_page_server() -> Iterator[str]:
    """A page on 127.0.0.1 to run the calls in: a real http origin, and no product to start."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def coturn():
    with running_coturn(SECRET) as turn:
        yield turn


@pytest.fixture
def call_page(browser):
    context = browser.new_context()
    page = context.new_page()
    with blank_page_server() as url:
        page.goto(url)
        yield page
    context.close()


def call(page, config, *, timeout_ms=20_000) -> dict:
    return page.evaluate(CALL_THROUGH_TURN, {"config": config, "timeoutMs": timeout_ms})


def test_a_call_connects_only_through_the_relay_with_issued_credentials(coturn, call_page):
    with override_settings(
        VIDEO_STUN_URLS=[],
        VIDEO_TURN_URLS=coturn["urls"],
        VIDEO_TURN_SECRET=SECRET,
        VIDEO_ICE_TRANSPORT_POLICY="relay",
    ):
        config = ice_configuration()
    assert config["iceTransportPolicy"] == "relay"

    result = call(call_page, config)

    assert (result["caller"], result["callee"]) == ("connected", "connected"), (
        result,
        coturn["log_path"].read_text()[-3000:],
    )
    assert set(result["gathered"]["caller"]) == {"relay"}
    assert set(result["gathered"]["callee"]) == {"relay"}
    for pair in (result["callerPair"], result["calleePair"]):
        assert pair["state"] == "succeeded"
        assert (pair["local"], pair["remote"]) == ("relay", "relay")
    assert result["framesDecoded"] > 0


@pytest.mark.parametrize(
    "make_credentials",
    [
        pytest.param(lambda: turn_credentials("not-the-secret", 3600), id="wrong-secret"),
        pytest.param(lambda: turn_credentials(SECRET, -60), id="expired"),
    ],
)
def test_refused_credentials_give_no_relay_and_no_call(coturn, call_page, make_credentials):
    username, credential = make_credentials()
    config = {
        "iceServers": [{"urls": coturn["urls"], "username": username, "credential": credential}],
        "iceTransportPolicy": "relay",
    }

    result = call(call_page, config, timeout_ms=10_000)

    assert result["gathered"] == {"caller": [], "callee": []}
    assert 401 in result["errors"]  # coturn's "Unauthorized", reported to the page
    assert "connected" not in (result["caller"], result["callee"])
    assert result["framesDecoded"] == 0
