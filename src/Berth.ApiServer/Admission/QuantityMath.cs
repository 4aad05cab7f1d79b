using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>
/// Comparisons of quantities that cannot overflow: ToDecimal throws beyond about 7.9e28, and a client may send
/// "1e40"; upstream compares arbitrary-precision values. Past decimal's range, double is precise enough to order them.
/// </summary>
internal static class QuantityMath
{
    public static int Compare(ResourceQuantity a, ResourceQuantity b)
    {
        try
        {
            return a.ToDecimal().CompareTo(b.ToDecimal());
        }
        catch (OverflowException)
        {
            return a.ToDouble().CompareTo(b.ToDouble());
        }
    }

    public static int Sign(ResourceQuantity quantity)
    {
        try
        {
            return Math.Sign(quantity.ToDecimal());
        }
        catch (OverflowException)
        {
            return Math.Sign(quantity.ToDouble());
        }
    }
}
