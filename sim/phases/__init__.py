"""The eight phases of a step (MODEL.md "Processes"), one module each."""
