"""Fields of the processor description of the operating system."""
from typing import Optional

__all__ = ['cpuinfo', 'processor_vendor']


def cpuinfo(key: str) -> Optional[str]:
    r"""The first value of field :obj:`key` of :obj:`/proc/cpuinfo`, such
    as :obj:`"vendor_id"` or :obj:`"model name"`; :obj:`None` where the
    system has no such file or field.

    Args:
        key (str): The field's name.
    """
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith(key):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return None


def processor_vendor() -> str:
    r"""The processor's vendor, such as :obj:`"GenuineIntel"` or
    :obj:`"AuthenticAMD"` (:obj:`"unknown"` where the system does not say).
    """
    return cpuinfo('vendor_id') or 'unknown'
