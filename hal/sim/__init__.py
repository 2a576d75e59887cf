"""The simulated backend: a line card with phones and an exchange, driven by the injected clock."""

from hal.sim.card import SimCard
from hal.sim.phone import SimPhone
from hal.sim.pstn import CallState, Outcome, SimPstn, SimPstnCall
from hal.sim.world import SimError

__all__ = ["CallState", "Outcome", "SimCard", "SimError", "SimPhone", "SimPstn", "SimPstnCall"]
