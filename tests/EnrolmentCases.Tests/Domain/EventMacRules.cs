using EnrolmentCases.Audit;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The canonical JSON the MAC covers, and the MAC itself.</summary>
public class EventMacRules
{
    private static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    private static EventMacs Macs(string current = "a") =>
        new(Options.Create(new MacOptions { CurrentKeyId = current, Keys = new() { ["a"] = KeyA, ["b"] = KeyB } }));

    private static readonly MacInput Input = new(Guid.Parse("0b5a3c52-5d8c-4c61-9a3e-7f3bb5f5f001"), 3, Guid.Parse("0b5a3c52-5d8c-4c61-9a3e-7f3bb5f5f002"),
        "contact_attempted", "caseworker-1", "corr", "POST /api/cases/x/contact-attempts (t)", """{"role":"caseworker","userName":"Ani"}""",
        """{"note":"by phone","outcome":"reached"}""", new string('c', 64));

    [Fact]
    public void what_the_writer_serialised_and_what_jsonb_prints_have_one_canonical_text()
    {
        // As System.Text.Json writes it, and as PostgreSQL prints the same value back from jsonb.
        const string written = """{"b":1.50,"a":[1E+20,-0,"caf\u00e9 \"x\"",true,null],"c":{"z":0.00,"y":-12.5e-1}}""";
        const string printed = """{"a": [100000000000000000000, 0, "café \"x\"", true, null], "b": 1.5, "c": {"y": -1.25, "z": 0}}""";
        Assert.Equal(CanonicalJson.Of(written), CanonicalJson.Of(printed));
        Assert.Equal("""{"a":[100000000000000000000,0,"café \"x\"",true,null],"b":1.5,"c":{"y":-1.25,"z":0}}""", CanonicalJson.Of(written));
    }

    [Fact]
    public void the_canonical_text_changes_with_any_value_and_leaves_out_only_the_named_top_level_keys()
    {
        Assert.NotEqual(CanonicalJson.Of("""{"a":"1"}"""), CanonicalJson.Of("""{"a":1}"""));
        Assert.NotEqual(CanonicalJson.Of("""{"a":[1,2]}"""), CanonicalJson.Of("""{"a":[2,1]}"""));
        Assert.NotEqual(CanonicalJson.Of("""{"a":1.5}"""), CanonicalJson.Of("""{"a":1.05}"""));
        Assert.Equal("""{"role":"x"}""", CanonicalJson.Of("""{"mac":"m","role":"x","macKey":"k"}""", "mac", "macKey"));
        Assert.Equal("""{"n":{"mac":"kept"}}""", CanonicalJson.Of("""{"n":{"mac":"kept"}}""", "mac"));
        // Numbers beyond decimal's range still come out the same however they were spelled.
        Assert.Equal(CanonicalJson.Of("[1e40]"), CanonicalJson.Of("[10000000000000000000000000000000000000000]"));
    }

    [Fact]
    public void of_repeated_keys_the_last_counts_as_jsonb_keeps_it_and_integers_keep_their_digits()
    {
        Assert.Equal("""{"a":3,"b":{"c":"y"}}""", CanonicalJson.Of("""{"b":{"c":"x","c":"y"},"a":1,"a":2,"a":3}"""));
        Assert.Equal("""{"a":2}""", CanonicalJson.Of("""{"mac":"m","a":1,"mac":"n","a":2}""", "mac"));
        Assert.Equal("[0,0,-7,1234567890123456789012345678,12345678901234567890123456789]",
            CanonicalJson.Of("[0,-0,-7,1234567890123456789012345678,12345678901234567890123456789]"));
    }

    [Fact]
    public void the_mac_verifies_the_input_it_was_computed_over_and_nothing_else()
    {
        var macs = Macs();
        var mac = macs.Compute("a", Input);
        Assert.Equal(64, mac.Length);
        Assert.True(macs.Verifies("a", Input, mac));

        MacInput[] altered =
        [
            Input with { StreamId = Guid.NewGuid() }, Input with { Version = 4 }, Input with { EventId = Guid.NewGuid() },
            Input with { Type = "case_closed" }, Input with { UserName = "someone-else" }, Input with { CorrelationId = null },
            Input with { CausationId = "x" }, Input with { CanonicalHeaders = """{"role":"admin","userName":"Ani"}""" },
            Input with { CanonicalData = """{"note":"by phone","outcome":"refused"}""" }, Input with { PreviousMac = new string('d', 64) }
        ];
        Assert.All(altered, a => Assert.False(macs.Verifies("a", a, mac), a.ToString()));
        // Another key gives another MAC: whoever lacks the key cannot compute it.
        Assert.False(macs.Verifies("b", Input, mac));
    }

    [Fact]
    public void after_a_rotation_events_under_the_old_key_still_verify_by_the_key_they_name()
    {
        var before = Macs(current: "a");
        var after = Macs(current: "b");
        var old = before.Compute(before.CurrentKeyId, Input);
        Assert.Equal("b", after.CurrentKeyId);
        Assert.True(after.Verifies("a", Input, old));
        Assert.NotEqual(old, after.Compute(after.CurrentKeyId, Input));
    }

    [Fact]
    public void start_up_refuses_a_missing_unknown_or_short_key()
    {
        Assert.Contains(MacOptions.Rules(new MacOptions()), r => r.StartsWith("CurrentKeyId must name"));
        Assert.Contains(MacOptions.Rules(new MacOptions { CurrentKeyId = "x", Keys = new() { ["a"] = KeyA } }), r => r.Contains("not among Keys"));
        Assert.Contains(MacOptions.Rules(new MacOptions { CurrentKeyId = "a", Keys = new() { ["a"] = Convert.ToBase64String(new byte[16]) } }),
            r => r.Contains("at least 32 bytes"));
        Assert.Contains(MacOptions.Rules(new MacOptions { CurrentKeyId = "a", Keys = new() { ["a"] = "not base64!" } }), r => r.Contains("base64"));
        Assert.Empty(MacOptions.Rules(new MacOptions { CurrentKeyId = "a", Keys = new() { ["a"] = KeyA, ["b"] = KeyB } }));
        Assert.Contains(AnchorOptions.Rules(new AnchorOptions { IntervalSeconds = 301 }), r => r.Contains("at least every five minutes"));
    }
}
