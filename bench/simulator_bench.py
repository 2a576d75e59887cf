"""How fast the simulator runs a working day, and how long one ACD routing decision takes.

Run: ``python bench/simulator_bench.py``. Prints figures; asserts nothing.

1. Eight hours of a 20-agent center (about 2,000 calls) through the simulator:
   wall-clock seconds per run and per simulated call.
2. The ACD's routing decision in a big box, 500 agents in 50 queues (each agent
   in 5 queues, 50 members a queue):
   - a new caller while agents are free: ``enqueue`` up to the ring, per strategy;
   - an agent freed while every queue has 20 callers waiting: ``agent_hung_up``
     up to the ring of the next caller (every queue's head is looked at).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware.acd.agents import AgentRuntime  # noqa: E402
from firmware.acd.service import Acd  # noqa: E402
from firmware.calls.timers import Timers  # noqa: E402
from firmware.simulator.report import simulation_report  # noqa: E402
from firmware.simulator.scenario import parse_scenario  # noqa: E402
from firmware.simulator.world import simulate  # noqa: E402
from firmware.store.models import Agent, Queue, QueueLogEntry, Strategy  # noqa: E402

CENTER = {
    "seed": 1,
    "duration": "8h",
    "agents": [{"count": 20, "prefix": "a", "skills": {"sales": 5}}],
    "queues": [{"name": "sales", "strategy": "longest-idle", "service_level_seconds": 20,
                "wrapup_seconds": 15}],
    "inbound": [{"queue": "sales", "calls_per_hour": 250,
                 "handle_seconds": {"dist": "exponential", "mean": 210},
                 "patience_seconds": {"dist": "exponential", "mean": 180}}],
}
AGENTS = 500
QUEUES = 50
QUEUES_PER_AGENT = 5
WAITING_PER_QUEUE = 20


def bench_simulator(runs: int = 5) -> None:
    scenario = parse_scenario(CENTER)
    seconds = []
    cpu = []
    result = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = simulate(scenario)
        report = simulation_report(result)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    if result is None:
        raise RuntimeError("no run")
    best = min(seconds)
    print("simulator: 8 h of a 20-agent center")
    print(f"  calls simulated     {result.calls}")
    print(f"  wall time per run   best {best:.3f} s, median {statistics.median(seconds):.3f} s "
          f"({runs} runs, KPIs included)")
    print(f"  CPU time per run    best {min(cpu):.3f} s")
    print(f"  per call            {min(cpu) / result.calls * 1e6:.0f} us of CPU")
    print(f"  figures             {report}")


class _Phones:
    """An AgentLine whose every phone rings."""

    def ring_agent(self, agent: AgentRuntime, call_id: str) -> bool:
        return True

    def cancel_agent_ring(self, agent: AgentRuntime, call_id: str) -> None:
        pass

    def connect_agent(self, agent: AgentRuntime, call_id: str) -> None:
        pass

    def queue_exit(self, call_id: str, reason: str, destination: str | None) -> None:
        pass


def _big_acd(strategy: Strategy) -> Acd:
    log: list[QueueLogEntry] = []
    acd = Acd(Timers(), _Phones(), log.append, lambda event: None, lambda: 0.0,
              random.Random(1))
    agents = [Agent(None, f"a{i}", str(1000 + i), f"fxs{i + 1}", True) for i in range(AGENTS)]
    members: list[list[str]] = [[] for _ in range(QUEUES)]
    for i in range(AGENTS):
        for k in range(QUEUES_PER_AGENT):
            members[(i + k * (QUEUES // QUEUES_PER_AGENT)) % QUEUES].append(f"a{i}")
    queues = [
        Queue(None, f"q{j}", strategy, 15.0, 2.0, 7200.0, tuple(members[j]))
        for j in range(QUEUES)
    ]
    acd.configure(agents, queues, 0.0)
    log.clear()
    return acd


def _summary(label: str, samples_ns: list[int]) -> None:
    # On a busy machine the slowest samples are the scheduler's, not the ACD's:
    # the median says more than the mean.
    samples = sorted(samples_ns)
    p99 = samples[int(len(samples) * 0.99)]
    print(f"  {label:<34} median {statistics.median(samples) / 1000:7.1f} us, "
          f"p90 {samples[int(len(samples) * 0.9)] / 1000:7.1f} us, p99 {p99 / 1000:7.1f} us")


def bench_new_caller(strategy: Strategy, samples: int = 5000) -> list[int]:
    acd = _big_acd(strategy)
    taken: list[int] = []
    now = 0.0
    for n in range(samples):
        now += 1.0
        queue = f"q{n % QUEUES}"
        call = f"c{n}"
        start = time.perf_counter_ns()
        acd.enqueue(call, queue, now, None)
        taken.append(time.perf_counter_ns() - start)
        if acd.waiting[queue][0].ringing == set():
            raise RuntimeError("the ACD rang nobody with every agent free")
        acd.caller_hung_up(call, now)  # back to every agent free
    return taken


def bench_freed_agent(samples: int = 5000) -> list[int]:
    acd = _big_acd(Strategy.LONGEST_IDLE)
    phones: dict[str, str] = {}
    count = 0
    now = 0.0

    def new_caller(queue: str) -> str:
        nonlocal count
        count += 1
        acd.enqueue(f"c{count}", queue, now, None)
        return f"c{count}"

    # Every agent on a call, then 20 callers waiting in every queue.
    while any(a.available for a in acd.agents.values()):
        for j in range(QUEUES):
            call = new_caller(f"q{j}")
            entry = acd.waiting[f"q{j}"][0] if acd.waiting[f"q{j}"] else None
            if entry is not None and entry.call_id == call and entry.ringing:
                agent = next(iter(entry.ringing))
                acd.agent_answered(agent, call, now)
                phones[agent] = call
            else:
                acd.caller_hung_up(call, now)
    for j in range(QUEUES):
        for _ in range(WAITING_PER_QUEUE):
            new_caller(f"q{j}")

    taken: list[int] = []
    names = sorted(phones)
    for n in range(samples):
        now += 1.0
        agent = names[n % len(names)]
        start = time.perf_counter_ns()
        acd.agent_hung_up(agent, now)
        taken.append(time.perf_counter_ns() - start)
        ringing = [e for line in acd.waiting.values() for e in line[:1] if agent in e.ringing]
        if len(ringing) != 1:
            raise RuntimeError("the freed agent was not offered exactly one waiting caller")
        entry = ringing[0]
        acd.agent_answered(agent, entry.call_id, now)
        new_caller(entry.queue)  # keep every queue at 20 waiting
    return taken


def main() -> None:
    bench_simulator()
    print(f"ACD routing decision: {AGENTS} agents, {QUEUES} queues, "
          f"{QUEUES_PER_AGENT} queues an agent")
    for strategy in Strategy:
        _summary(f"new caller, {strategy.value}", bench_new_caller(strategy))
    _summary(f"agent freed, {WAITING_PER_QUEUE} waiting a queue", bench_freed_agent())


if __name__ == "__main__":
    main()
