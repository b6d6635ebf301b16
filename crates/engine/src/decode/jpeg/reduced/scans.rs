//! The entropy decoding of one block in each kind of scan: sequential, progressive first
//! AC and AC refinement, storing only the coefficients the scale keeps.

use super::*;

/// A sequential block's 63 AC coefficients (T.81 F.2.2.2): all are decoded, those with a slot
/// kept. Like libjpeg, any zero run other than ZRL ends the block.
#[inline(always)]
pub(super) fn sequential_ac(
    bits: &mut Bits,
    huff: &Huffman,
    coefs: &mut [i16],
    slots: &Slots,
) -> Result<(), Declined> {
    let mut z = 1usize;
    while z < 64 {
        let entry = huff.ac[bits.peek(AC_LOOKAHEAD) as usize];
        if entry & 0xFF != 0 {
            bits.consume(entry & 0xFF);
            let at = z + ((entry >> 8) & 0xFF) as usize - 1;
            let v = (entry >> 16) as i16;
            if v != 0 {
                if at > 63 {
                    return Err("AC run past the end of the block");
                }
                if let Some(slot) = coefs.get_mut(usize::from(slots.at[at])) {
                    *slot = v;
                }
            }
            z = at + 1;
            continue;
        }
        let rs = huff.decode(bits)?;
        let (r, size) = (usize::from(rs >> 4), rs & 15);
        if size != 0 {
            z += r;
            if z > 63 {
                return Err("AC run past the end of the block");
            }
            let v = bits.receive_extend(size);
            if let Some(slot) = coefs.get_mut(usize::from(slots.at[z])) {
                *slot = v as i16;
            }
            z += 1;
        } else if r == 15 {
            z += 16;
        } else {
            break;
        }
    }
    Ok(())
}

#[inline]
/// One block's share of an AC first scan (T.81 G.1.2.2); returns the end-of-band run left.
pub(super) fn ac_first(
    bits: &mut Bits,
    huff: &Huffman,
    (ss, se, al): (usize, usize, u8),
    eobrun: u32,
    coefs: &mut [i16],
    nonzero: &mut u64,
    slots: &Slots,
) -> Result<u32, Declined> {
    if eobrun > 0 {
        return Ok(eobrun - 1);
    }
    let mut z = ss;
    while z <= se {
        let rs = huff.decode(bits)?;
        let (r, size) = (usize::from(rs >> 4), rs & 15);
        if size != 0 {
            z += r;
            if z > se {
                return Err("AC run past the end of the band");
            }
            // libjpeg keeps the value as a 16-bit JCOEF; a shift that wraps to 0 stays zero.
            let v = bits.receive_extend(size).wrapping_shl(u32::from(al)) as i16;
            if v != 0 {
                *nonzero |= 1 << z;
                if let Some(slot) = coefs.get_mut(usize::from(slots.at[z])) {
                    *slot = v;
                }
            }
            z += 1;
        } else if r == 15 {
            z += 16;
        } else {
            let mut run = 1u32 << r;
            if r > 0 {
                run += bits.bits(r as u32);
            }
            return Ok(run - 1);
        }
    }
    Ok(0)
}

#[inline]
/// One block's share of an AC refinement scan (T.81 G.1.2.3, libjpeg's decode_mcu_AC_refine);
/// returns the end-of-band run left.
pub(super) fn ac_refine(
    bits: &mut Bits,
    huff: &Huffman,
    (ss, se, al): (usize, usize, u8),
    mut eobrun: u32,
    coefs: &mut [i16],
    nonzero: &mut u64,
    slots: &Slots,
) -> Result<u32, Declined> {
    let p1 = 1i16 << al;
    let mut z = ss;
    if eobrun == 0 {
        while z <= se {
            let rs = huff.decode(bits)?;
            let (r, size) = (rs >> 4, rs & 15);
            let mut new = 0i16;
            if size != 0 {
                if size != 1 {
                    return Err("refinement coefficient larger than one bit");
                }
                new = if bits.bit() { p1 } else { -p1 };
            } else if r != 15 {
                eobrun = 1 << r;
                if r > 0 {
                    eobrun += bits.bits(r as u32);
                }
                break;
            }
            // Past nonzero coefficients (each takes a correction bit) and r zero ones, to the
            // next zero one (or the band's end), found on the masks rather than one by one.
            let ahead = u64::MAX << z & u64::MAX >> (63 - se);
            let mut zeros = !*nonzero & ahead;
            for _ in 0..r {
                zeros &= zeros.wrapping_sub(1);
            }
            let target = if zeros == 0 {
                se + 1
            } else {
                zeros.trailing_zeros() as usize
            };
            let before = if target >= 64 {
                u64::MAX
            } else {
                (1 << target) - 1
            };
            correct(bits, coefs, slots, *nonzero & ahead & before, p1);
            z = target;
            if new != 0 {
                if z > se {
                    return Err("refinement run past the end of the band");
                }
                *nonzero |= 1 << z;
                if let Some(c) = coefs.get_mut(usize::from(slots.at[z])) {
                    *c = new;
                }
            }
            z += 1;
        }
    }
    if eobrun > 0 {
        // Only the nonzero coefficients left in the band take a bit: walk the set bits.
        let band = if z > se {
            0
        } else {
            (u64::MAX >> (63 - se)) & (u64::MAX << z)
        };
        correct(bits, coefs, slots, *nonzero & band, p1);
        eobrun -= 1;
    }
    Ok(eobrun)
}

/// A refinement's correction bits for the nonzero coefficients at the zigzag positions in
/// `passed`, one bit each in order: a 1 raises a coefficient's magnitude by this scan's bit
/// `p1`. The bits are read at once; only kept coefficients look at theirs.
#[inline(always)]
pub(super) fn correct(bits: &mut Bits, coefs: &mut [i16], slots: &Slots, passed: u64, p1: i16) {
    let n = passed.count_ones();
    if n == 0 {
        return;
    }
    // At most 63 bits (AC positions), left-aligned.
    let read = if n <= 32 {
        u64::from(bits.bits(n)) << (64 - n)
    } else {
        let high = u64::from(bits.bits(32));
        (high << 32 | u64::from(bits.bits(n - 32))) << (64 - n)
    };
    let mut left = passed & slots.mask;
    while left != 0 {
        let z = left.trailing_zeros();
        left &= left - 1;
        let Some(c) = coefs.get_mut(usize::from(slots.at[z as usize])) else {
            continue;
        };
        let rank = (passed & ((1u64 << z) - 1)).count_ones();
        if (read << rank) >> 63 == 1 && *c & p1 == 0 {
            *c = if *c >= 0 {
                c.wrapping_add(p1)
            } else {
                c.wrapping_sub(p1)
            };
        }
    }
}
