using EnrolmentCases.Cases;

namespace EnrolmentCases.Tests.Domain;

public class NikRules
{
    private static readonly string[] Provinces = ["17", "31"];

    [Theory]
    [InlineData("1704011506900001")] // man born 15 June 1990
    [InlineData("1704015506900001")] // woman born 15 June 1990 (day + 40)
    [InlineData("3171017112990123")] // woman born 31 December 1999, issued in Jakarta
    [InlineData("1704010101000001")]
    public void a_well_formed_nik_passes(string nik) => Assert.Empty(Nik.Problems(nik, Provinces));

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("", "is required")]
    [InlineData("170401150690001", "16 digits")]
    [InlineData("17040115069000011", "16 digits")]
    [InlineData("17040115069O0001", "16 digits")]
    [InlineData("１７０４０１１５０６９００００１", "16 digits")] // full-width digits are not ASCII digits
    [InlineData("9904011506900001", "province")]
    [InlineData("1704010006900001", "birth day")]
    [InlineData("1704013206900001", "birth day")]
    [InlineData("1704014006900001", "birth day")]
    [InlineData("1704017206900001", "birth day")]
    [InlineData("1704011500900001", "birth month")]
    [InlineData("1704011513900001", "birth month")]
    [InlineData("1704011506900000", "serial")]
    public void a_malformed_nik_is_refused_with_the_reason(string? nik, string reason)
    {
        var problems = Nik.Problems(nik, Provinces);
        Assert.Contains(problems, p => p.Contains(reason));
    }
}
