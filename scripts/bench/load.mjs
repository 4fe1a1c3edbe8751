import { createHmac, randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

// The load generator: webhook deliveries as GitHub sends them (JSON body, event and delivery headers,
// HMAC-SHA256 signature), over keep-alive connections, at most `concurrency` at a time.

/** A delivery ready to send: its JSON body and signature computed (see `drive`'s `prepared`). */
export function encodeDelivery(secret, { event, payload }) {
  const body = Buffer.from(JSON.stringify(payload));
  return { event, body, signature: `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` };
}

/** POSTs one delivery (`{ event, payload }`, or encoded); resolves to `{ id, status, answeredAt }`. */
export function sendDelivery({ url, secret, agent }, delivery) {
  const { event, body, signature } = delivery.body ? delivery : encodeDelivery(secret, delivery);
  const id = randomUUID();
  const headers = {
    "content-type": "application/json",
    "content-length": body.length,
    "user-agent": "GitHub-Hookshot/bench",
    "x-github-event": event,
    "x-github-delivery": id,
    "x-github-hook-installation-target-type": "integration",
    "x-hub-signature-256": signature,
  };
  const attempt = (retried) =>
    new Promise((resolve, reject) => {
      const req = request(`${url}/api/github/webhooks`, { method: "POST", headers, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ id, status: res.statusCode, answeredAt: performance.now() }));
      });
      req.on("error", (error) => {
        // A kept-alive connection the server closed as it was reused (its idle timeout, between phases)
        // fails before anything was sent back: send again once, on a fresh connection, with the same
        // delivery id (a duplicate is ignored), as Node's documentation advises.
        if (!retried && req.reusedSocket && error.code === "ECONNRESET") resolve(attempt(true));
        else reject(error);
      });
      req.end(body);
    });
  return attempt(false);
}

/** A keep-alive connection pool for `concurrency` requests at a time. */
export function keepAliveAgent(concurrency) {
  return new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}

/**
 * Sends deliveries in lanes: a lane is one pull request's steps (a step changes the model, then
 * returns `{ event, payload }`), sent in order, each only once the previous one is done, as pull
 * requests move at people's pace. At most `concurrency` deliveries are in flight: sent and not yet
 * done, where done is `untilDone(id)` resolving (the app has processed it) or, without it, the
 * answer. Lanes take turns, round-robin. Resolves to `{ ids, firstSentAt, lastAnsweredAt, refused }`.
 */
export async function drive(target, lanes, { concurrency, untilDone = null }) {
  const ids = [];
  let refused = 0;
  let firstSentAt = null;
  let lastAnsweredAt = 0;
  const ready = lanes.filter((lane) => lane.length > 0).map((lane) => ({ steps: lane, next: 0 }));
  let busy = 0;
  const idle = [];
  const wakeAll = () => idle.splice(0).forEach((wake) => wake());
  async function worker() {
    for (;;) {
      const lane = ready.shift();
      if (!lane) {
        // Nothing ready: finished when nothing is in flight either, else wait for a lane to return.
        if (busy === 0) return wakeAll();
        await new Promise((resolve) => idle.push(resolve));
        continue;
      }
      busy += 1;
      const delivery = lane.steps[lane.next++]();
      firstSentAt ??= performance.now();
      const answer = await sendDelivery(target, delivery);
      ids.push(answer.id);
      if (answer.status < 200 || answer.status > 299) refused += 1;
      lastAnsweredAt = Math.max(lastAnsweredAt, answer.answeredAt);
      if (untilDone) await untilDone(answer.id);
      busy -= 1;
      if (lane.next < lane.steps.length) {
        ready.push(lane);
        idle.shift()?.();
      } else if (busy === 0 && ready.length === 0) {
        wakeAll();
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ready.length) }, worker));
  return { ids, firstSentAt, lastAnsweredAt, refused };
}

/**
 * Sends `deliveries` (encoded beforehand, so that the load generator outpaces the app) as fast as
 * `concurrency` connections allow, each done when answered: how fast the app takes a burst in (GitHub
 * waits for the answer, and gives up after 10 seconds). Resolves to `{ ids, answerMs, refused,
 * firstSentAt, lastAnsweredAt }`, with each delivery's time from sending to its answer.
 */
export async function burst(target, deliveries, { concurrency }) {
  const ids = [];
  const answerMs = [];
  let refused = 0;
  let firstSentAt = null;
  let lastAnsweredAt = 0;
  let next = 0;
  async function worker() {
    while (next < deliveries.length) {
      const delivery = deliveries[next++];
      const sentAt = performance.now();
      firstSentAt ??= sentAt;
      const answer = await sendDelivery(target, delivery);
      ids.push(answer.id);
      answerMs.push(answer.answeredAt - sentAt);
      if (answer.status < 200 || answer.status > 299) refused += 1;
      lastAnsweredAt = Math.max(lastAnsweredAt, answer.answeredAt);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, worker));
  return { ids, answerMs, refused, firstSentAt, lastAnsweredAt };
}

/**
 * Sends `steps` (each changes the model, then returns `{ event, payload }`) one every `intervalMs`,
 * whatever the app is doing: GitHub sends a delivery when something happens, not when the app is
 * ready for it. Each delivery is done when answered. Resolves to `{ ids, firstSentAt, lastAnsweredAt,
 * refused }`.
 */
export async function paced(target, steps, { intervalMs }) {
  const ids = [];
  let refused = 0;
  let firstSentAt = null;
  let lastAnsweredAt = 0;
  const answers = [];
  for (const step of steps) {
    const delivery = step();
    firstSentAt ??= performance.now();
    answers.push(
      sendDelivery(target, delivery).then((answer) => {
        if (answer.status < 200 || answer.status > 299) refused += 1;
        lastAnsweredAt = Math.max(lastAnsweredAt, answer.answeredAt);
        return answer.id;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  ids.push(...(await Promise.all(answers)));
  return { ids, firstSentAt, lastAnsweredAt, refused };
}
