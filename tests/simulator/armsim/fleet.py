"""The `fleet` scenario key: many scale sets over several subscriptions, generated from a few lines of
YAML instead of hundreds of hand-written entries. expand() turns it into ordinary `resource_groups`
entries (state.py builds them like any other), so everything else in the simulator is unchanged.

    fleet:
      subscriptions: all              # or a list of subscription ids of the scenario
      scale_sets_per_subscription: 20
      instances: 20
      resource_groups: [rg-web, rg-api]            # scale set n goes to resource_groups[n % len]
      locations: [westeurope, northeurope]          # scale set n is in locations[n % len]
      name_format: "vmss-{location_short}-{index:02d}"
      tags: {env: ["prod", "staging", "dev"]}       # a list is indexed by subscription, a string is kept
      zoned_every: 4                  # every 4th scale set (index 0, 4, ...) spans zones 1, 2, 3
      manual_every: 3                 # index % 3 == 2: upgrade policy Manual, else Rolling
      no_wave_every: 5                # index % 5 == 4: no instance in a maintenance wave
      ineligible_every: 5             # index % 5 == 3: instances 0 and 1 not eligible (RetryLater)
      deadline_days: [5, 13]          # self-service window ends +5d .. +13d, by index
      overrides: {"<sub id>/<rg>/<name>": {...scale set keys...}}

The same names recur in every subscription, as real fleets name their stages alike: the inventory
plugin's host names must stay unique anyway.
"""

import copy


def _short(location):
    # "westeurope" -> "weu", "northeurope" -> "neu", "eastus2" -> "eus2"
    parts = {"west": "w", "east": "e", "north": "n", "south": "s", "central": "c"}
    out, rest = "", location
    for word, letter in parts.items():
        if rest.startswith(word):
            out, rest = letter, rest[len(word):]
            break
    tail = "".join(ch for ch in rest if ch.isdigit())
    return (out + rest[:2] + tail) if out else location[:3] + tail


def expand(scenario):
    """A copy of scenario with its `fleet` key turned into resource_groups; unchanged without one."""
    spec = scenario.get("fleet")
    if not spec:
        return scenario
    sc = copy.deepcopy(scenario)
    subs = [str(s["id"]) for s in sc.get("subscriptions") or []]
    if spec.get("subscriptions", "all") != "all":
        subs = [str(s) for s in spec["subscriptions"]]
    per_sub = int(spec.get("scale_sets_per_subscription", 20))
    count = int(spec.get("instances", 20))
    rg_names = list(spec.get("resource_groups") or ["rg-fleet"])
    locations = list(spec.get("locations") or ["westeurope"])
    name_format = spec.get("name_format", "vmss-{location_short}-{index:02d}")
    zoned_every = int(spec.get("zoned_every", 0))
    manual_every = int(spec.get("manual_every", 0))
    no_wave_every = int(spec.get("no_wave_every", 0))
    ineligible_every = int(spec.get("ineligible_every", 0))
    lo, hi = (spec.get("deadline_days") or [13, 13])[:2]
    overrides = spec.get("overrides") or {}
    groups = {}
    for s_index, sub in enumerate(subs):
        for n in range(per_sub):
            location = locations[n % len(locations)]
            rg = rg_names[n % len(rg_names)]
            name = name_format.format(index=n, location=location, location_short=_short(location),
                                      subscription_index=s_index)
            tags = {}
            for key, value in (spec.get("tags") or {}).items():
                tags[key] = value[s_index % len(value)] if isinstance(value, list) else value
            tags.setdefault("fleet-index", str(n))
            deadline = lo + (n % (hi - lo + 1)) if hi > lo else lo
            instances = {"count": count, "eligible": "all", "window": {"pre_end": "+%dd" % deadline,
                                                                       "start": "+%dd" % (deadline + 1),
                                                                       "end": "+%dd" % (deadline + 8)}}
            if no_wave_every and n % no_wave_every == no_wave_every - 1:
                instances["wave"] = "none"
            elif ineligible_every and n % ineligible_every == ineligible_every - 2:
                instances["eligible"] = list(range(2, count))
            vd = {"name": name, "location": location, "tags": tags, "health_signal": True,
                  "upgrade_policy": {"mode": "Manual" if manual_every and n % manual_every == manual_every - 1
                                     else "Rolling"},
                  "instances": instances}
            if zoned_every and n % zoned_every == 0:
                vd["zones"] = [1, 2, 3]
            vd.update(copy.deepcopy(overrides.get("%s/%s/%s" % (sub, rg, name)) or {}))
            key = (sub.lower(), rg.lower())
            if key not in groups:
                groups[key] = {"name": rg, "subscription": sub, "location": locations[0], "scale_sets": []}
            groups[key]["scale_sets"].append(vd)
    sc["resource_groups"] = list(sc.get("resource_groups") or []) + list(groups.values())
    return sc
