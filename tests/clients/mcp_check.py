"""The MCP endpoint driven by the official MCP Python SDK (`mcp` on PyPI),
as an assistant would: list the tools, find stations near the sample's
hourly station, ask for values at its place, and compare the numbers with
what `climastation values` writes for the same request.

Usage: python tests/clients/mcp_check.py BASE_URL CLI_VALUES_JSONL
(BASE_URL: http://127.0.0.1:PORT of a running `climastation serve`;
CLI_VALUES_JSONL: the output of `climastation values --at 49.97,11.52
--resolution hourly --parameters temperature_air_2m --from 2018-09-15
--to 2018-09-16 --format jsonl`). Exits non-zero on any difference.
"""

import asyncio
import json
import sys

from mcp import Client


def text_of(result):
    assert not result.is_error, result
    return json.loads(result.content[0].text)


async def main(base: str, cli_values: str) -> None:
    async with Client(base + "/mcp") as session:
        tools = {t.name for t in (await session.list_tools()).tools}
        assert {"list_datasets", "find_stations", "station_series", "values_at_place"} <= tools, tools

        datasets = text_of(await session.call_tool("list_datasets", {"resolution": "hourly"}))
        assert any(d["name"] == "hourly/air_temperature" for d in datasets["datasets"]), datasets

        stations = text_of(await session.call_tool(
            "find_stations",
            {"dataset": "hourly/air_temperature", "latitude": 49.97, "longitude": 11.52, "radius_km": 30},
        ))
        assert stations["stations"][0]["station_id"] == 320, stations

        args = {"latitude": 49.97, "longitude": 11.52, "resolution": "hourly",
                "parameters": ["temperature_air_2m"], "start": "2018-09-15", "end": "2018-09-16"}
        values = text_of(await session.call_tool("values_at_place", args))
        cli = [json.loads(line) for line in open(cli_values, encoding="utf-8") if line.strip()]
        ours = values["rows"]
        assert len(ours) == len(cli) > 0, (len(ours), len(cli))
        for a, b in zip(ours, cli):
            assert a["timestamp_utc"] == b["timestamp_utc"], (a, b)
            assert a["temperature_air_2m"] == b["temperature_air_2m"], (a, b)
            assert a["temperature_air_2m_stations"] == b["temperature_air_2m_stations"], (a, b)

        capped = text_of(await session.call_tool(
            "station_series", {"dataset": "hourly/air_temperature", "station": 320, "limit": 3}))
        assert len(capped["rows"]) == 3 and "note" in capped, capped
        assert capped["full_table_csv"].startswith(base + "/api/v1/series?"), capped

        bad = await session.call_tool("station_series", {"dataset": "hourly/air_temperature", "station": 99999})
        assert bad.is_error and "99999" in bad.content[0].text, bad
    print(f"mcp: {len(tools)} tools; values_at_place equals the CLI on {len(ours)} rows")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1].rstrip("/"), sys.argv[2]))
